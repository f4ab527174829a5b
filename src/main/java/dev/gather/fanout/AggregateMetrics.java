package dev.gather.fanout;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Per aggregate: every request's duration by mode, status and completeness ({@code gather_aggregate_seconds},
 * whose {@code _count} is the number of requests, so {@code complete="false"} over all is the share of partial
 * answers).
 */
final class AggregateMetrics {
  private final MeterRegistry registry;

  AggregateMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  private final Map<String, Timer> timers = new ConcurrentHashMap<>();

  void request(String aggregate, String mode, int status, boolean complete, long nanos) {
    // Registering looks the meter up by all its tags; the key string is cheaper on every request.
    timers.computeIfAbsent(aggregate + '|' + mode + '|' + status + '|' + complete, key -> timer(aggregate, mode,
        status, complete)).record(Duration.ofNanos(nanos));
  }

  private Timer timer(String aggregate, String mode, int status, boolean complete) {
    return Timer.builder("gather.aggregate")
        .description("Aggregate requests, by mode, status and whether every source succeeded")
        .tags("aggregate", aggregate, "mode", mode, "status", String.valueOf(status), "complete", String.valueOf(complete))
        .publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofMillis(1))
        .maximumExpectedValue(Duration.ofSeconds(30))
        .register(registry);
  }
}
