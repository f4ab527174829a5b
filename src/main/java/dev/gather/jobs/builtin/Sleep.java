package dev.gather.jobs.builtin;

import dev.gather.jobs.handler.JobContext;
import dev.gather.jobs.handler.JobHandler;
import dev.gather.jobs.handler.JobPool;
import io.vertx.core.json.JsonObject;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Waits, and optionally fails afterwards: a job whose timing and failures a demo or test controls, to show
 * timeouts, cancellation, retries and progress (it reports each tenth of its sleep).
 */
public final class Sleep implements JobHandler {
  static final long MAX_MS = 3_600_000;
  private static final int MAX_FAIL_MESSAGE = 1000;
  private static final int PROGRESS_STEPS = 10;

  private record Params(long ms, Optional<String> fail, OptionalLong failAttempts) {}

  @Override
  public String name() {
    return "sleep";
  }

  @Override
  public JobPool pool() {
    return JobPool.BLOCKING;
  }

  @Override
  public void validate(JsonObject input) {
    params(input);
  }

  @Override
  public JsonObject run(JobContext context) throws InterruptedException {
    Params params = Inputs.forRun(() -> params(context.input()));
    long start = System.nanoTime();
    // In tenths, each reported as progress: a demo of GET /jobs/{id}/events (reports cost nothing; see JobContext).
    for (int tenth = 1; tenth <= PROGRESS_STEPS; tenth++) {
      // Rounded up: rounded down, the ten sleeps together could end a millisecond short of what was asked.
      long leftNanos = start + params.ms() * 1_000_000 * tenth / PROGRESS_STEPS - System.nanoTime();
      if (leftNanos > 0) {
        context.sleep((leftNanos + 999_999) / 1_000_000);
      }
      context.progress(100 * tenth / PROGRESS_STEPS, "slept " + params.ms() * tenth / PROGRESS_STEPS + " of "
          + params.ms() + " ms");
    }
    long sleptMs = (System.nanoTime() - start) / 1_000_000;
    if (failsOn(params, context.attempt())) {
      throw new RuntimeException(params.fail().orElseGet(() -> "attempt " + context.attempt()
          + " failed on purpose (failAttempts is " + params.failAttempts().getAsLong() + ")"));
    }
    return new JsonObject().put("sleptMs", sleptMs).put("attempt", context.attempt());
  }

  /** Without failAttempts, fail fails every attempt; failAttempts alone fails with a message of its own. */
  private static boolean failsOn(Params params, int attempt) {
    if (params.failAttempts().isPresent()) {
      return attempt <= params.failAttempts().getAsLong();
    }
    return params.fail().isPresent();
  }

  private static Params params(JsonObject input) {
    long ms = Inputs.requiredInteger(input, "ms", 0, MAX_MS);
    Optional<String> fail = Inputs.optionalString(input, "fail");
    if (fail.isPresent() && fail.get().length() > MAX_FAIL_MESSAGE) {
      throw new IllegalArgumentException("fail must be at most " + MAX_FAIL_MESSAGE + " characters: it becomes the"
          + " stored error message");
    }
    OptionalLong failAttempts = Inputs.optionalInteger(input, "failAttempts", 0, Integer.MAX_VALUE);
    return new Params(ms, fail, failAttempts);
  }
}
