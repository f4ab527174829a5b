package dev.gather.ratelimit;

import dev.gather.config.Rate;

/**
 * The arithmetic of one bucket, kept apart from where its state lives: the in-process buckets run it in Java, and
 * {@link RedisBuckets}'s script does the same steps in Lua. Tokens are fractional so that a slow rate (0.5 per
 * second) refills smoothly rather than in whole steps.
 *
 * @param tokens tokens in the bucket at {@code atNanos}
 * @param atNanos when it was last looked at, a reading of the buckets' ticker
 * @param took whether the look that made this state took a token
 */
record TokenBucket(double tokens, long atNanos, boolean took) {
  static TokenBucket full(Rate rate, long nowNanos) {
    return new TokenBucket(rate.burst(), nowNanos, false);
  }

  /** This bucket refilled up to {@code nowNanos}, then one token taken when there is one. */
  TokenBucket take(Rate rate, long nowNanos) {
    double refilled = Math.min(rate.burst(), tokens + Math.max(0, nowNanos - atNanos) / 1e9 * rate.perSecond());
    return refilled >= 1 ? new TokenBucket(refilled - 1, nowNanos, true) : new TokenBucket(refilled, nowNanos, false);
  }

  Decision decision(Rate rate) {
    return decision(rate, took, tokens);
  }

  static Decision decision(Rate rate, boolean allowed, double tokens) {
    long retryAfterMs = tokens >= 1 ? 0 : (long) Math.ceil((1 - tokens) / rate.perSecond() * 1000);
    long fullAfterMs = (long) Math.ceil((rate.burst() - tokens) / rate.perSecond() * 1000);
    return new Decision(allowed, (long) Math.floor(tokens), retryAfterMs, fullAfterMs);
  }

  /** Nanoseconds until it is full: after that, forgetting it changes nothing. */
  long nanosUntilFull(Rate rate) {
    return Math.max(1, (long) Math.ceil((rate.burst() - tokens) / rate.perSecond() * 1e9));
  }
}
