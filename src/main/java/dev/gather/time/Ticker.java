package dev.gather.time;

/**
 * A source of monotonic nanoseconds. The primitives that decide by time (limiter waits, breaker resets, retry
 * budgets, latency windows) read it instead of {@link System#nanoTime()}, so their tests can drive time by hand.
 */
@FunctionalInterface
public interface Ticker {
  Ticker SYSTEM = System::nanoTime;

  long nanoTime();

  /** Whole milliseconds since {@code beganNanos}, a reading of this ticker. */
  default long millisSince(long beganNanos) {
    return (nanoTime() - beganNanos) / 1_000_000;
  }
}
