package dev.gather.upstream;

import dev.gather.time.Ticker;

/**
 * Retries (and hedges) one upstream may spend: over the last 10 s, at most {@code ratio} of its calls plus
 * {@code minPerSecond} per second, so that when the upstream is down, retries cannot multiply the load on it
 * (Finagle's and Envoy's retry budgets work the same way). Shared by the process; thread-safe.
 */
final class RetryBudget {
  static final long WINDOW_MS = 10_000;

  private final double ratio;
  private final long minimum;
  private final SlidingCounts counts;

  RetryBudget(double ratio, int minPerSecond, Ticker ticker) {
    this.ratio = ratio;
    this.minimum = (long) minPerSecond * (WINDOW_MS / 1000);
    this.counts = new SlidingCounts(WINDOW_MS, ticker);
  }

  /** A first try: it earns the budget a share of a retry. */
  synchronized void firstTry() {
    counts.add(false);
  }

  /** Takes one retry from the budget, if there is one left. */
  synchronized boolean tryRetry() {
    long retries = counts.marked();
    long firstTries = counts.total() - retries;
    if (retries + 1 > minimum + ratio * firstTries) {
      return false;
    }
    counts.add(true);
    return true;
  }
}
