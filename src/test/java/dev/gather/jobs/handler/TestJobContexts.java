package dev.gather.jobs.handler;

import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.OptionalLong;

/** Builds a {@link JobContext} and its {@link CancelSignal} for tests of handlers, as the lanes would. */
public final class TestJobContexts {
  private TestJobContexts() {}

  /** A context plus the means to cancel it, as gather's timeout or {@code DELETE /jobs/{id}} would. */
  public static final class Cancellable {
    private final CancelSignal signal = new CancelSignal();
    private final JobContext context;

    private Cancellable(JsonObject input, int attempt) {
      this.context = new JobContext(input, OptionalLong.empty(), attempt, signal, null, null, tempDir());
    }

    public JobContext context() {
      return context;
    }

    /** Returns true for the call that raised it, as {@link CancelSignal#raise} does. */
    public boolean cancel(String reason) {
      return signal.raise(CancelSignal.Why.CANCELLED, reason);
    }
  }

  /** A first attempt with no Vert.x: enough for handlers that neither use the event bus nor write files. */
  public static JobContext context(JsonObject input) {
    return context(input, 1);
  }

  public static JobContext context(JsonObject input, int attempt) {
    return cancellable(input, attempt).context();
  }

  public static Cancellable cancellable(JsonObject input) {
    return cancellable(input, 1);
  }

  public static Cancellable cancellable(JsonObject input, int attempt) {
    return new Cancellable(input, attempt);
  }

  private static Path tempDir() {
    return Path.of(System.getProperty("java.io.tmpdir"));
  }
}
