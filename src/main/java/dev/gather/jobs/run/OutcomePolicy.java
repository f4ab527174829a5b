package dev.gather.jobs.run;

import dev.gather.jobs.handler.CancelSignal;
import dev.gather.jobs.handler.JobSnoozedException;
import dev.gather.jobs.handler.PermanentJobFailure;
import dev.gather.jobs.queue.JobRequests;
import dev.gather.jobs.queue.JobStatus;
import dev.gather.jobs.queue.Outcome;
import java.util.Optional;
import java.util.function.IntToLongFunction;

/**
 * What becomes of a run of a durable job: from why it was asked to stop (if it was), what the handler returned or
 * threw, and the job's attempts, the outcome written back and how the run is counted. Pure: no clock, no I/O; the
 * retry delay comes from the function it is given (the jittered backoff in gather).
 */
final class OutcomePolicy {
  static final String CANCELLED_BY_REQUEST = "cancelled by request";

  /** jobs.maxSnoozes's default, for callers that do not say. */
  static final int DEFAULT_MAX_SNOOZES = 100;

  private final IntToLongFunction retryDelayMs;
  private final int maxSnoozes;

  /** {@code retryDelayMs}: the delay before the run after attempt n (1 = the first run failed). */
  OutcomePolicy(IntToLongFunction retryDelayMs) {
    this(retryDelayMs, DEFAULT_MAX_SNOOZES);
  }

  /** {@code maxSnoozes}: how many snoozes a job gets free of attempts (jobs.maxSnoozes). */
  OutcomePolicy(IntToLongFunction retryDelayMs, int maxSnoozes) {
    this.retryDelayMs = retryDelayMs;
    this.maxSnoozes = maxSnoozes;
  }

  /**
   * How one run ended. {@code outcome} is empty when nothing is to be written (another process owns the job now);
   * {@code label} is the run's outcome in the metrics; {@code failureReason} (error, timeout or permanent) is set
   * for a failed run only.
   */
  record Verdict(Optional<Outcome> outcome, String label, String failureReason) {
    /** The same verdict, its outcome carrying the run's last progress report. */
    Verdict withProgress(int percent, String message) {
      return new Verdict(outcome.map(o -> o.withProgress(percent, message)), label, failureReason);
    }

    /** Back to the queue after a delay (not a release): someone should look for due jobs then. */
    boolean retries() {
      return outcome.filter(Outcome::requeued).isPresent();
    }
  }

  /**
   * {@code why} and {@code detail}: the run's signal, null when never raised. A run that returns a result keeps
   * it even when cancelled or asked to stop meanwhile, unless its time ran out.
   */
  Verdict decide(CancelSignal.Why why, String detail, RunResult result, JobRequests.Claimed job) {
    if (why == CancelSignal.Why.LEASE_LOST) {
      // Another process owns the job now; this run's outcome would be fenced out anyway.
      return new Verdict(Optional.empty(), "lease_lost", null);
    }
    if (result.succeeded() && why != CancelSignal.Why.TIMEOUT) {
      return verdict(Outcome.succeeded(job.id(), job.attempt(), result.result()), "succeeded", null);
    }
    if (why == CancelSignal.Why.STOPPING) {
      return verdict(Outcome.released(job.id(), job.attempt()), "released", null);
    }
    if (why == CancelSignal.Why.CANCELLED) {
      return verdict(Outcome.cancelled(job.id(), job.attempt(), CANCELLED_BY_REQUEST), "cancelled", null);
    }
    boolean timedOut = why == CancelSignal.Why.TIMEOUT;
    if (!timedOut && result.failure() instanceof JobSnoozedException snooze) {
      return snoozed(job, snooze.delayMs());
    }
    boolean permanent = !timedOut && result.failure() instanceof PermanentJobFailure;
    String error = timedOut ? detail : result.error();
    Outcome outcome = permanent ? Outcome.failed(job.id(), job.attempt(), error) : failure(job, error);
    return verdict(outcome, outcome.status().equals(JobStatus.FAILED) ? "failed" : "retried",
        timedOut ? "timeout" : permanent ? "permanent" : "error");
  }

  /**
   * A snooze: back to the queue after its delay, the attempt given back, while the job has snoozes left. Past
   * jobs.maxSnoozes it spends the attempt (retried after the snooze's delay, or failed on the last one), so a job
   * that snoozes forever ends after at most maxSnoozes + maxAttempts runs.
   */
  private Verdict snoozed(JobRequests.Claimed job, long delayMs) {
    if (job.snoozes() < maxSnoozes) {
      return verdict(Outcome.snoozed(job.id(), job.attempt(), delayMs), "snoozed", null);
    }
    String error = "snoozed " + job.snoozes() + " times, the most jobs.maxSnoozes (" + maxSnoozes
        + ") allows without spending an attempt";
    if (job.attempt() >= job.maxAttempts()) {
      return verdict(Outcome.failed(job.id(), job.attempt(), error), "failed", "snoozes");
    }
    return verdict(Outcome.retry(job.id(), job.attempt(), error, delayMs), "retried", "snoozes");
  }

  /** A run that ignored its timeout for long: it counts as timed out, and its outcome is written without it. */
  Verdict abandoned(JobRequests.Claimed job, String detail) {
    return verdict(failure(job, detail + "; the handler did not stop"), "abandoned", "timeout");
  }

  /** A failure that another attempt may fix: retried after the backoff while attempts remain, else failed. */
  private Outcome failure(JobRequests.Claimed job, String error) {
    if (job.attempt() >= job.maxAttempts()) {
      return Outcome.failed(job.id(), job.attempt(), error);
    }
    return Outcome.retry(job.id(), job.attempt(), error, retryDelayMs.applyAsLong(job.attempt()));
  }

  private static Verdict verdict(Outcome outcome, String label, String failureReason) {
    return new Verdict(Optional.of(outcome), label, failureReason);
  }
}
