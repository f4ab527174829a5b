package dev.gather.upstream;

import java.util.Arrays;
import java.util.OptionalLong;

/**
 * The 95th percentile of an upstream's recent answer times, for {@code "hedgeAfterMs": "p95"}: the last 512
 * answers, the percentile recomputed every 64 of them. Shared by the process; thread-safe.
 */
final class LatencyTracker {
  private static final int SIZE = 512;
  private static final int RECOMPUTE_EVERY = 64;
  private static final int MIN_SAMPLES = 20;

  private final long[] samples = new long[SIZE];
  private int count;
  private int next;
  private long p95 = -1;

  synchronized void record(long ms) {
    samples[next] = ms;
    next = (next + 1) % SIZE;
    count = Math.min(SIZE, count + 1);
    if (count >= MIN_SAMPLES && (p95 < 0 || next % RECOMPUTE_EVERY == 0)) {
      long[] sorted = Arrays.copyOf(samples, count);
      Arrays.sort(sorted);
      p95 = sorted[(int) Math.ceil(0.95 * count) - 1];
    }
  }

  /** Nothing until enough answers have been seen. */
  synchronized OptionalLong p95() {
    return p95 < 0 ? OptionalLong.empty() : OptionalLong.of(Math.max(1, p95));
  }
}
