package dev.gather.jobs.handler;

import io.vertx.core.json.JsonObject;

/**
 * A kind of job: what {@code POST /compute/{kind}} runs and waits for, and what {@code POST /jobs} queues.
 *
 * <p>Implementations are found with {@link java.util.ServiceLoader}: list the class in
 * {@code META-INF/services/dev.gather.jobs.handler.JobHandler} of any jar on the class path and gather runs it. One instance
 * serves every job of its kind, on several worker threads at once, so it must be thread-safe (stateless is best).
 */
public interface JobHandler {

  /** The kind's name, as clients write it: letters, digits, '.', '-' and '_' (e.g. {@code cpu.sum}). */
  String name();

  /** The worker pool the kind runs on: {@link JobPool#CPU} for computation, {@link JobPool#BLOCKING} for waiting. */
  JobPool pool();

  /**
   * Checks an input before it is run or queued, so a client learns of a mistake at once, not after the job failed.
   *
   * @throws IllegalArgumentException with a message that names the field and what is expected
   */
  default void validate(JsonObject input) {}

  /**
   * Does the work on a worker thread (never an event loop) and returns the result to store. Long work should
   * look at {@link JobContext#cancelled()} (or call {@link JobContext#throwIfCancelled()}) now and then: that is how
   * timeouts and {@code DELETE /jobs/{id}} stop it.
   *
   * @throws PermanentJobFailure for a failure another attempt cannot fix; any other exception is retried while
   *     attempts remain
   */
  JsonObject run(JobContext context) throws Exception;
}
