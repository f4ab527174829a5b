package dev.gather.jobs.handler;

/** The two worker pools. Their sizes are jobs.cpuWorkers and jobs.blockingWorkers. */
public enum JobPool {
  /** Computation: as many threads as cores, so CPU work never starves the event loops for long. */
  CPU("gather-cpu"),
  /** Waiting on files, sleeps or blocking libraries: more threads than cores, since they mostly sleep. */
  BLOCKING("gather-blocking");

  private final String threadPoolName;

  JobPool(String threadPoolName) {
    this.threadPoolName = threadPoolName;
  }

  /** The name of the Vert.x worker pool, as it appears in thread names and pool metrics. */
  public String threadPoolName() {
    return threadPoolName;
  }

  public String label() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
