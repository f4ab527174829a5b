package dev.gather.upstream;

import dev.gather.config.UpstreamConfig;
import dev.gather.time.Ticker;
import dev.gather.time.Timers;
import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.api.trace.SpanContext;
import dev.gather.trace.TrySpans;
import java.util.concurrent.ConcurrentHashMap;
import java.util.Optional;

/**
 * What the whole process shares about one upstream, whichever HTTP instance calls it: the limit on calls in
 * flight and waiting, the retry budget, the circuit breaker, recent latencies (for p95 hedging), the calls in
 * flight that identical ones may join, and the meters. One per upstream per process. Its primitives read time
 * from {@link #ticker}; the hedge waits with {@link #timers} (Vert.x's in production), the limiter's and the
 * coalescer's waits, timeouts that rarely fire, with {@code timeouts} (the wheel in production).
 */
public final class UpstreamGuard {
  final Ticker ticker;
  final Timers timers;
  final CallLimiter limiter;
  final RetryBudget budget;
  final Optional<CircuitBreaker> breaker;
  final LatencyTracker latency = new LatencyTracker();
  final Coalescer coalescer;
  final UpstreamMetrics metrics;
  final HostPicker hosts;
  /** Null when tracing is off. */
  final TrySpans trySpans;
  /** The span of the caller that made each shared call in flight, by coalescing key: what joiners link to. */
  final ConcurrentHashMap<String, SpanContext> sharedCalls = new ConcurrentHashMap<>();

  UpstreamGuard(UpstreamConfig config, MeterRegistry registry, Ticker ticker, Timers timers, Timers timeouts,
      TrySpans trySpans) {
    this.trySpans = trySpans;
    this.ticker = ticker;
    this.timers = timers;
    this.limiter = new CallLimiter(config.name(), config.maxConcurrent(), config.maxQueued(), timeouts);
    this.budget = new RetryBudget(config.retry().budgetRatio(), config.retry().budgetMinPerSecond(), ticker);
    this.breaker = config.circuitBreaker().map(breakerConfig -> new CircuitBreaker(breakerConfig, ticker));
    this.coalescer = new Coalescer(timeouts);
    this.metrics = new UpstreamMetrics(config.name(), registry, limiter, breaker);
    this.hosts = new HostPicker(config.urls(), config.hosts(), ticker);
    metrics.hosts(hosts);
  }

  /**
   * Each host's state ("up", "ejected", "down"), tries in flight, when ejected milliseconds until it is back, and
   * when it is an address resolved from a name, that name; by {@code host:port}; empty when the upstream has one
   * host and resolves no name into several.
   */
  public java.util.Map<String, java.util.Map<String, Object>> hostStates() {
    java.util.Map<String, java.util.Map<String, Object>> states = new java.util.LinkedHashMap<>();
    if (hosts.listed()) {
      for (HostPicker.Host host : hosts.hosts()) {
        java.util.Map<String, Object> state = new java.util.LinkedHashMap<>();
        state.put("state", hosts.state(host).key());
        state.put("inFlight", hosts.inFlight(host));
        if (host.resolvedFrom != null) {
          state.put("name", host.resolvedFrom);
        }
        long backInMs = hosts.msUntilBack(host);
        if (backInMs > 0) {
          state.put("backInMs", backInMs);
        }
        states.put(host.label, state);
      }
    }
    return states;
  }

  /** The breaker's state ("closed", "open", "half_open"), or empty when the upstream has none. */
  public Optional<String> breakerState() {
    return breaker.map(b -> b.state().name().toLowerCase(java.util.Locale.ROOT));
  }
}
