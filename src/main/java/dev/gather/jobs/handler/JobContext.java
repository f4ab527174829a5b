package dev.gather.jobs.handler;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import java.nio.file.Path;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/** What a {@link JobHandler} gets for one run: its input, who it is, and the signal that asks it to stop. */
public final class JobContext {
  private final JsonObject input;
  private final OptionalLong jobId;
  private final int attempt;
  private final CancelSignal signal;
  private final Vertx vertx;
  private final Context eventLoop;
  private final Pool database;
  private final Path filesDir;
  private final JobProgress progress;

  /** The longest one snooze may be: a job that wants to wait longer snoozes again (or is enqueued with a runAt). */
  public static final long MAX_SNOOZE_MS = 24 * 3600 * 1000L;

  /** Made by the runners for each run (and by tests of handlers); handlers only ever receive one. */
  public JobContext(JsonObject input, OptionalLong jobId, int attempt, CancelSignal signal, Context eventLoop, Pool database,
      Path filesDir) {
    this(input, jobId, attempt, signal, eventLoop, database, filesDir, null);
  }

  /** {@code progress}: where {@link #progress} reports go for the heartbeat; null where nobody reads them (compute). */
  public JobContext(JsonObject input, OptionalLong jobId, int attempt, CancelSignal signal, Context eventLoop, Pool database,
      Path filesDir, JobProgress progress) {
    this.progress = progress;
    this.input = input;
    this.jobId = jobId;
    this.attempt = attempt;
    this.signal = signal;
    this.vertx = eventLoop == null ? null : eventLoop.owner();
    this.eventLoop = eventLoop;
    this.database = database;
    this.filesDir = filesDir;
  }

  /** The input the client sent, already accepted by {@link JobHandler#validate}. */
  public JsonObject input() {
    return input;
  }

  /** The durable job's id; empty for {@code POST /compute}, which keeps no record. */
  public OptionalLong jobId() {
    return jobId;
  }

  /** 1 for the first run of a job, 2 for its first retry, and so on; always 1 for compute. */
  public int attempt() {
    return attempt;
  }

  /** True once the run timed out, was cancelled, or gather is stopping; the job should return soon. */
  public boolean cancelled() {
    return signal.raised();
  }

  /** @throws JobCancelledException once {@link #cancelled()} */
  public void throwIfCancelled() {
    String reason = signal.detail();
    if (reason != null) {
      throw new JobCancelledException(reason);
    }
  }

  /**
   * Reports how far the run is: {@code GET /jobs/{id}} shows it, and {@code GET /jobs/{id}/events} streams it. Cheap:
   * it only keeps the latest report, which the next lease heartbeat (every third of jobs.leaseMs) writes on its way,
   * so report as often as is convenient; watchers see it with up to that delay. {@code message} may be null and is
   * cut to {@value JobProgress#MAX_MESSAGE_CHARS} characters. Does nothing for {@code POST /compute}.
   *
   * @throws IllegalArgumentException when {@code percent} is not 0-100
   */
  public void progress(int percent, String message) {
    if (progress != null) {
      progress.report(percent, message);
    } else if (percent < 0 || percent > 100) {
      throw new IllegalArgumentException("progress must be 0-100 percent, got " + percent);
    }
  }

  /**
   * Ends this run and puts the job back in the queue, to run again in {@code ms} (e.g. a resource it needs is not
   * ready yet) without spending an attempt. It never returns: it throws {@link JobSnoozedException}, which the handler
   * must let through. A job snoozes at most jobs.maxSnoozes times; after that each snooze spends an attempt like a
   * failure, so a job that snoozes forever still ends. A cancel requested meanwhile ends the job as cancelled.
   *
   * @throws IllegalArgumentException when {@code ms} is not 0 to {@value #MAX_SNOOZE_MS}
   * @throws PermanentJobFailure in {@code POST /compute}, which has no queue to wait in
   */
  public void snooze(long ms) {
    if (ms < 0 || ms > MAX_SNOOZE_MS) {
      throw new IllegalArgumentException("snooze takes 0 to " + MAX_SNOOZE_MS + " ms, got " + ms);
    }
    if (jobId.isEmpty()) {
      throw new PermanentJobFailure("a POST /compute call cannot snooze: only a durable job (POST /jobs) can run later");
    }
    throw new JobSnoozedException(ms);
  }

  /**
   * Sleeps, but wakes as soon as the run is cancelled.
   *
   * @throws JobCancelledException when cancelled before {@code ms} passed
   */
  public void sleep(long ms) throws InterruptedException {
    if (!signal.sleep(ms)) {
      throwIfCancelled();
    }
  }

  /**
   * Starts an asynchronous call (e.g. a query on {@link #database()}) on an event loop and waits for its
   * result on this worker thread. The call must not start here: its reply would be delivered to this worker's
   * context, which is busy waiting for it. Blocking is fine on a worker thread, and the wait is bounded.
   */
  public <T> T await(Supplier<Future<T>> call, long timeoutMs) throws Exception {
    CompletableFuture<T> result = new CompletableFuture<>();
    eventLoop.runOnContext(v -> {
      try {
        call.get().onComplete(done -> {
          if (done.succeeded()) {
            result.complete(done.result());
          } else {
            result.completeExceptionally(done.cause());
          }
        });
      } catch (RuntimeException e) {
        result.completeExceptionally(e);
      }
    });
    try {
      return result.get(timeoutMs, TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof Exception cause ? cause : e;
    } catch (TimeoutException e) {
      throw new TimeoutException("no answer within " + timeoutMs + " ms");
    }
  }

  /** The database, for handlers that read or write it; query it inside {@link #await}, on the event loop. */
  public Pool database() {
    return database;
  }

  public Vertx vertx() {
    return vertx;
  }

  /** The directory jobs may write files to (jobs.filesDir); it exists. */
  public Path filesDir() {
    return filesDir;
  }
}
