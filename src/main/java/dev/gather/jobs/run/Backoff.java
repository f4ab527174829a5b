package dev.gather.jobs.run;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Retry delays: exponential per attempt, capped, with "equal jitter" (half fixed, half random) so that the
 * delay always grows with the attempt yet jobs that failed together do not all return together.
 */
record Backoff(long baseMs, long maxMs) {

  /** The delay before the run after {@code attempt} (1 = the first run failed). */
  long delayMs(int attempt) {
    long exponential = baseMs << Math.min(Math.max(attempt - 1, 0), 30);
    long capped = exponential <= 0 ? maxMs : Math.min(maxMs, exponential);
    long half = capped / 2;
    return half + ThreadLocalRandom.current().nextLong(capped - half + 1);
  }
}
