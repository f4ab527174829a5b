package dev.gather.jobs.handler;

/** Thrown by a {@link JobHandler} when retrying cannot help (the input is wrong, the thing is gone): no more attempts. */
public class PermanentJobFailure extends RuntimeException {
  public PermanentJobFailure(String message) {
    super(message);
  }

  public PermanentJobFailure(String message, Throwable cause) {
    super(message, cause);
  }
}
