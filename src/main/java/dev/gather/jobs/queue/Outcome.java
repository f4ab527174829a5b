package dev.gather.jobs.queue;

import io.vertx.core.json.JsonObject;

/**
 * How one run of a durable job ended, as it is written back. {@code status} is the row's next status:
 * queued again (a retry after {@code delayMs}, a release that does not count as an attempt, or a snooze that does
 * not either but runs after {@code delayMs} and is counted in the job's snoozes), or final.
 */
public record Outcome(long id, int attempt, String status, JsonObject result, String error, long delayMs, boolean released,
    boolean snoozed, Integer progress, String progressMessage) {

  public Outcome(long id, int attempt, String status, JsonObject result, String error, long delayMs, boolean released) {
    this(id, attempt, status, result, error, delayMs, released, false, null, null);
  }

  /**
   * With the progress the run reported after the last heartbeat, written with the outcome (no write of its own), so
   * a finished job shows the last report rather than the one before.
   */
  /** A retry or a snooze: back in the queue, due after {@link #delayMs} (a release goes back due at once). */
  public boolean requeued() {
    return status.equals(JobStatus.QUEUED) && !released;
  }

  public Outcome withProgress(int percent, String message) {
    return new Outcome(id, attempt, status, result, error, delayMs, released, snoozed, percent, message);
  }

  public static Outcome succeeded(long id, int attempt, JsonObject result) {
    return new Outcome(id, attempt, JobStatus.SUCCEEDED, result, null, 0, false);
  }

  public static Outcome retry(long id, int attempt, String error, long delayMs) {
    return new Outcome(id, attempt, JobStatus.QUEUED, null, error, delayMs, false);
  }

  public static Outcome failed(long id, int attempt, String error) {
    return new Outcome(id, attempt, JobStatus.FAILED, null, error, 0, false);
  }

  public static Outcome cancelled(long id, int attempt, String reason) {
    return new Outcome(id, attempt, JobStatus.CANCELLED, null, reason, 0, false);
  }

  /** Back to the queue at once, the attempt not counted: the job never ran, or gather stopped under it. */
  public static Outcome released(long id, int attempt) {
    return new Outcome(id, attempt, JobStatus.QUEUED, null, null, 0, true);
  }

  /** The handler asked to run again after {@code delayMs} (JobContext.snooze): queued, the attempt given back. */
  public static Outcome snoozed(long id, int attempt, long delayMs) {
    return new Outcome(id, attempt, JobStatus.QUEUED, null, null, delayMs, false, true, null, null);
  }
}
