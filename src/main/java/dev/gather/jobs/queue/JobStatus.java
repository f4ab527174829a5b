package dev.gather.jobs.queue;

import java.util.List;

/** The values of jobs.status. Strings, because that is how the API, the table and the metrics spell them. */
public final class JobStatus {
  public static final String QUEUED = "queued";
  public static final String RUNNING = "running";
  public static final String SUCCEEDED = "succeeded";
  public static final String FAILED = "failed";
  public static final String CANCELLED = "cancelled";
  public static final List<String> ALL = List.of(QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED);

  private JobStatus() {}
}
