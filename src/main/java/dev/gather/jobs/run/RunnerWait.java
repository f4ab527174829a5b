package dev.gather.jobs.run;

import java.util.Collection;

/**
 * How long until one of a lane's runners is free again, for the {@code Retry-After} of a compute call turned
 * away because every runner is busy and the queue is full: the queue has room again as soon as a runner takes
 * its first call. Each run in flight is expected to take the recent average of its sort (when there is one), and
 * never longer than its timeout, which ends it for sure.
 */
final class RunnerWait {
  private RunnerWait() {}

  /** A run in flight: when it started, when its timeout ends it, and how long such runs took lately (0: unknown). */
  record InFlight(long startedNanos, long deadlineNanos, double averageNanos) {
    long expectedEndNanos() {
      return averageNanos > 0 ? Math.min(deadlineNanos, startedNanos + (long) averageNanos) : deadlineNanos;
    }
  }

  /** Milliseconds, rounded up, until the first run is expected to end; 0 when one may end any moment. */
  static long untilFirstFreeMs(Collection<InFlight> running, long nowNanos) {
    long soonest = Long.MAX_VALUE;
    for (InFlight run : running) {
      soonest = Math.min(soonest, Math.max(0, run.expectedEndNanos() - nowNanos));
    }
    return soonest == Long.MAX_VALUE ? 0 : (soonest + 999_999) / 1_000_000;
  }
}
