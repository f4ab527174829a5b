package dev.gather.config;

import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A token bucket's policy: {@code burst} tokens at most, refilled at {@code perSecond}; a request takes one.
 *
 * @param perSecond tokens added per second (may be below 1: 0.5 is one request every two seconds)
 * @param burst the bucket's size: requests a rested caller may send at once
 */
public record Rate(double perSecond, long burst) {
  static final Set<String> KEYS = Set.of("perSecond", "burst");
  private static final double MAX_PER_SECOND = 1_000_000;
  private static final long MAX_BURST = 1_000_000_000;

  /** Seconds for an empty bucket to fill up: the window of the {@code RateLimit-Policy} field, at least 1. */
  public long windowSeconds() {
    return Math.max(1, (long) Math.ceil(burst / perSecond));
  }

  /** {@code {"perSecond": 50, "burst": 100}} at {@code key}; burst defaults to one second's worth (at least 1). */
  static Optional<Rate> parse(String key, JsonObject json, List<String> problems) {
    Fields in = new Fields(key, json, problems);
    in.rejectUnknown(KEYS);
    int before = problems.size();
    if (!in.has("perSecond")) {
      problems.add(key + ".perSecond: missing; add it, e.g. {\"perSecond\": 10, \"burst\": 20}");
      return Optional.empty();
    }
    double perSecond = in.fraction("perSecond", 1, 0.000_001, MAX_PER_SECOND);
    long burst = in.number("burst", Math.max(1, (long) Math.ceil(perSecond)), 1, MAX_BURST);
    return problems.size() == before ? Optional.of(new Rate(perSecond, burst)) : Optional.empty();
  }
}
