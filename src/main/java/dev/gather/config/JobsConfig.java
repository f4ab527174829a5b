package dev.gather.config;

import java.nio.file.Path;

/** The job workers of this process and the defaults of the durable queue. */
public record JobsConfig(
    boolean enabled,
    int cpuWorkers,
    int blockingWorkers,
    int computeQueue,
    long computeTimeoutMs,
    int prefetch,
    int dbConnections,
    long pollMs,
    long leaseMs,
    long rescueIntervalMs,
    int maxAttempts,
    long timeoutMs,
    long backoffMs,
    long backoffMaxMs,
    long retentionMs,
    Path filesDir,
    int maxSnoozes,
    int maxWatchers,
    long maxWaitMs) {

  /** Heartbeats renew leases three times per lease, so one late heartbeat never loses a claim. */
  public long heartbeatMs() {
    return Math.max(1, leaseMs / 3);
  }
}
