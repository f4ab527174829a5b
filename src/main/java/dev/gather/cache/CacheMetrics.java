package dev.gather.cache;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code gather_cache_lookups_total{scope, result}}: lookups by what they found (hit: fresh; stale: a stale answer
 * served, while it is refreshed or because the call failed; miss: a call was made); {@code scope} is the upstream's
 * name or {@code query:<name>}, both from the config, so the labels are bounded by it. Beside it evictions (answers
 * dropped for room, not for age), the bytes and entries held in memory, and Redis failures.
 */
final class CacheMetrics {
  enum Result {
    HIT, MISS, STALE;

    final String label = name().toLowerCase(java.util.Locale.ROOT);
  }

  private final MeterRegistry registry;
  private final Map<String, Counter[]> lookups = new ConcurrentHashMap<>();
  private final Counter evictions;
  private final Counter redisFailures;

  CacheMetrics(MeterRegistry registry) {
    this.registry = registry;
    this.evictions = Counter.builder("gather.cache.evictions")
        .description("Cached answers dropped to stay within cache.maxBytes or a source's maxEntries")
        .register(registry);
    this.redisFailures = Counter.builder("gather.cache.redis.failures")
        .description("Cache reads and writes Redis did not answer in time or failed (the cache went on in memory)")
        .register(registry);
  }

  void memory(MemoryLevel memory) {
    Gauge.builder("gather.cache.bytes", memory, MemoryLevel::bytes)
        .description("Bytes of cached answers held in memory").baseUnit("bytes").register(registry);
    Gauge.builder("gather.cache.entries", memory, MemoryLevel::entries)
        .description("Cached answers held in memory").register(registry);
  }

  void lookup(CacheKey key, Result result) {
    lookups.computeIfAbsent(key.label(), this::counters)[result.ordinal()].increment();
  }

  private Counter[] counters(String scope) {
    Counter[] counters = new Counter[Result.values().length];
    for (Result result : Result.values()) {
      counters[result.ordinal()] = Counter.builder("gather.cache.lookups")
          .description("Cache lookups of cached sources, by what they found")
          .tag("scope", scope).tag("result", result.label).register(registry);
    }
    return counters;
  }

  void evicted() {
    evictions.increment();
  }

  void redisFailed() {
    redisFailures.increment();
  }
}
