package dev.gather.upstream;

import dev.gather.config.UpstreamConfig;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Optional;

/**
 * What the whole process shares about one upstream, whichever HTTP instance calls it: the limit on calls in
 * flight and waiting, the retry budget, the circuit breaker, recent latencies (for p95 hedging), the calls in
 * flight that identical ones may join, and the meters. One per upstream per process.
 */
public final class UpstreamGuard {
  final CallLimiter limiter;
  final RetryBudget budget;
  final Optional<CircuitBreaker> breaker;
  final LatencyTracker latency = new LatencyTracker();
  final Coalescer coalescer = new Coalescer();
  final UpstreamMetrics metrics;

  UpstreamGuard(UpstreamConfig config, MeterRegistry registry) {
    this.limiter = new CallLimiter(config.name(), config.maxConcurrent(), config.maxQueued());
    this.budget = new RetryBudget(config.retry());
    this.breaker = config.circuitBreaker().map(CircuitBreaker::new);
    this.metrics = new UpstreamMetrics(config.name(), registry, limiter, breaker);
  }

  /** The breaker's state ("closed", "open", "half_open"), or empty when the upstream has none. */
  public Optional<String> breakerState() {
    return breaker.map(b -> b.state().name().toLowerCase(java.util.Locale.ROOT));
  }
}
