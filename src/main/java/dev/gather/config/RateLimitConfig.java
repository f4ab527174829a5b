package dev.gather.config;

import java.util.Map;
import java.util.Optional;

/**
 * Per-client rate limits: the policy of each limited route group ({@code rateLimit.routes}; an aggregate's own
 * {@code rate} overrides its group's), and where the buckets live: in this process, or in Redis when
 * {@code redisUrl} is set, so that every replica draws on one bucket per client.
 *
 * @param redisUrl {@code redis://host:6379} to share buckets between replicas; empty keeps them in process
 * @param redisPrefix the prefix of the bucket keys in Redis
 * @param failOpen when Redis cannot answer in time: let the request through (true) or answer 503 (false)
 * @param redisTimeoutMs how long one check may wait for Redis before failing open or closed
 * @param localMaxBuckets the most callers' buckets kept in process; the least recently used go first
 * @param routes the policy of each limited group; a group not listed is not limited
 */
public record RateLimitConfig(Optional<String> redisUrl, String redisPrefix, boolean failOpen, long redisTimeoutMs, long localMaxBuckets,
    Map<RouteGroup, Rate> routes) {

  public boolean limitsAnything(Map<String, AggregateConfig> aggregates) {
    return !routes.isEmpty() || aggregates.values().stream().anyMatch(a -> a.rate().isPresent());
  }
}
