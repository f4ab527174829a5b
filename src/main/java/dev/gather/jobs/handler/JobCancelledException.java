package dev.gather.jobs.handler;

/** Thrown by {@link JobContext#throwIfCancelled()} once the run was cancelled or ran out of time. */
public final class JobCancelledException extends RuntimeException {
  public JobCancelledException(String reason) {
    super(reason, null, false, false);
  }
}
