package dev.gather.upstream;

import dev.gather.time.Ticker;

/**
 * Two counts (events and the ones of interest among them: calls and retries, calls and failures) over a
 * sliding window of ten buckets. Not thread-safe: its owner synchronizes.
 */
final class SlidingCounts {
  private static final int BUCKETS = 10;

  private final long bucketNanos;
  private final Ticker ticker;
  private final long[] epochs = new long[BUCKETS];
  private final long[] totals = new long[BUCKETS];
  private final long[] marked = new long[BUCKETS];

  SlidingCounts(long windowMs, Ticker ticker) {
    this.bucketNanos = Math.max(1, windowMs * 1_000_000L / BUCKETS);
    this.ticker = ticker;
    java.util.Arrays.fill(epochs, Long.MIN_VALUE);
  }

  void add(boolean mark) {
    long epoch = Math.floorDiv(ticker.nanoTime(), bucketNanos);
    int index = (int) Math.floorMod(epoch, (long) BUCKETS);
    if (epochs[index] != epoch) {
      epochs[index] = epoch;
      totals[index] = 0;
      marked[index] = 0;
    }
    totals[index]++;
    if (mark) {
      marked[index]++;
    }
  }

  long total() {
    return sum(totals);
  }

  long marked() {
    return sum(marked);
  }

  void clear() {
    java.util.Arrays.fill(epochs, Long.MIN_VALUE);
  }

  private long sum(long[] counts) {
    long now = Math.floorDiv(ticker.nanoTime(), bucketNanos);
    long sum = 0;
    for (int i = 0; i < BUCKETS; i++) {
      if (epochs[i] > now - BUCKETS) {
        sum += counts[i];
      }
    }
    return sum;
  }
}
