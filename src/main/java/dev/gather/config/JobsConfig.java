package dev.gather.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

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
    int maxResultBytes,
    Map<String, JobKindConfig> kinds,
    Map<String, ScheduleConfig> schedules,
    int maxSnoozes,
    int maxWatchers,
    long maxStreamMs,
    long maxWaitMs) {

  public JobsConfig {
    kinds = Map.copyOf(kinds);
    schedules = Map.copyOf(schedules);
  }

  /** Heartbeats renew leases three times per lease, so one late heartbeat never loses a claim. */
  public long heartbeatMs() {
    return Math.max(1, leaseMs / 3);
  }

  /** The kinds with a concurrency or rate limit, by name: these are claimed through claim_limited.sql. */
  public List<JobKindConfig> limitedKinds() {
    return kinds.values().stream().filter(JobKindConfig::limited).sorted(java.util.Comparator.comparing(JobKindConfig::kind))
        .toList();
  }
}
