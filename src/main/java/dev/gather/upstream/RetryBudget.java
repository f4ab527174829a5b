package dev.gather.upstream;

import dev.gather.config.RetryConfig;

/**
 * Retries (and hedges) one upstream may spend: over the last 10 s, at most {@code budgetRatio} of its calls
 * plus {@code budgetMinPerSecond} per second, so that when the upstream is down, retries cannot multiply the
 * load on it (Finagle's and Envoy's retry budgets work the same way). Shared by the process; thread-safe.
 */
final class RetryBudget {
  private static final long WINDOW_MS = 10_000;

  private final double ratio;
  private final long minimum;
  private final SlidingCounts counts = new SlidingCounts(WINDOW_MS);

  RetryBudget(RetryConfig config) {
    this.ratio = config.budgetRatio();
    this.minimum = (long) config.budgetMinPerSecond() * (WINDOW_MS / 1000);
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
