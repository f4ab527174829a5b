package dev.gather.jobs.handler;

/**
 * Thrown by {@link JobContext#snooze(long)}: the run ends here and the job goes back to the queue, to run again after
 * {@link #delayMs()} without spending an attempt. A handler that catches every RuntimeException must let this one go.
 */
public final class JobSnoozedException extends RuntimeException {
  private final long delayMs;

  JobSnoozedException(long delayMs) {
    super("snoozed for " + delayMs + " ms", null, false, false);
    this.delayMs = delayMs;
  }

  public long delayMs() {
    return delayMs;
  }
}
