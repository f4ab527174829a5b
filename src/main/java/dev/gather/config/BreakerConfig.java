package dev.gather.config;

import io.vertx.core.json.JsonObject;
import java.util.Set;

/**
 * The upstream's circuit breaker: it opens after {@code failures} failures in a row, or when at least
 * {@code minCalls} calls in the last {@code windowMs} failed at {@code failureRatio} or more; while open,
 * calls fail at once; after {@code resetMs} one probe goes through, and its success closes the breaker.
 */
public record BreakerConfig(int failures, double failureRatio, int minCalls, int windowMs, int resetMs) {
  private static final Set<String> KEYS = Set.of("failures", "failureRatio", "minCalls", "windowMs", "resetMs");
  private static final int DAY_MS = 86_400_000;

  static BreakerConfig parse(Fields in, JsonObject json) {
    Fields breaker = in.nested("circuitBreaker", json);
    breaker.rejectUnknown(KEYS);
    return new BreakerConfig(
        breaker.integer("failures", 5, 1, 1_000_000),
        breaker.fraction("failureRatio", 0.5, 0.01, 1.0),
        breaker.integer("minCalls", 20, 1, 1_000_000),
        breaker.integer("windowMs", 10_000, 100, DAY_MS),
        breaker.integer("resetMs", 10_000, 1, DAY_MS));
  }
}
