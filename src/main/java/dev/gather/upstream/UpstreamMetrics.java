package dev.gather.upstream;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Per upstream: every call's duration by outcome ({@code gather_upstream_call_seconds}, a histogram whose
 * {@code _count} is the number of calls and whose {@code outcome} label is "ok" or the failure kind), calls shed
 * before they were made ({@code gather_upstream_shed_total}), and calls in flight and waiting right now.
 */
final class UpstreamMetrics {
  private static final Duration MIN_EXPECTED = Duration.ofMillis(1);
  private static final Duration MAX_EXPECTED = Duration.ofSeconds(30);

  private final String upstream;
  private final MeterRegistry registry;
  private final Counter shed;
  private final Counter retries;
  private final Counter coalesced;
  private final Counter shortCircuited;
  private final Map<String, Timer> calls = new ConcurrentHashMap<>();

  UpstreamMetrics(String upstream, MeterRegistry registry, CallLimiter limiter, Optional<CircuitBreaker> breaker) {
    this.upstream = upstream;
    this.registry = registry;
    this.shed = Counter.builder("gather.upstream.shed")
        .description("Calls refused at once because the upstream's maxConcurrent and maxQueued were reached")
        .tag("upstream", upstream)
        .register(registry);
    Gauge.builder("gather.upstream.in.flight", limiter, CallLimiter::inFlight)
        .description("Calls to the upstream in flight now").tag("upstream", upstream).register(registry);
    Gauge.builder("gather.upstream.queued", limiter, CallLimiter::queued)
        .description("Calls waiting for a turn under maxConcurrent now").tag("upstream", upstream).register(registry);
    this.retries = Counter.builder("gather.upstream.retries")
        .description("Tries sent after the first one of a call: retries and hedges")
        .tag("upstream", upstream).register(registry);
    this.coalesced = Counter.builder("gather.upstream.coalesced")
        .description("Calls answered by joining an identical call already in flight")
        .tag("upstream", upstream).register(registry);
    this.shortCircuited = Counter.builder("gather.upstream.short.circuited")
        .description("Calls refused at once because the circuit breaker was open")
        .tag("upstream", upstream).register(registry);
    breaker.ifPresent(b -> {
      Gauge.builder("gather.upstream.circuit.state", b, cb -> cb.state().ordinal())
          .description("Circuit breaker state: 0 closed, 1 open, 2 half-open").tag("upstream", upstream)
          .register(registry);
      FunctionCounter.builder("gather.upstream.circuit.opened", b, CircuitBreaker::timesOpened)
          .description("Times the circuit breaker opened").tag("upstream", upstream).register(registry);
    });
  }

  void retry() {
    retries.increment();
  }

  void coalesced() {
    coalesced.increment();
  }

  void shortCircuited() {
    shortCircuited.increment();
  }

  void call(String outcome, long nanos) {
    calls.computeIfAbsent(outcome, o -> Timer.builder("gather.upstream.call")
            .description("Calls to the upstream, by outcome (ok or the failure kind)")
            .tags("upstream", upstream, "outcome", o)
            .publishPercentileHistogram()
            .minimumExpectedValue(MIN_EXPECTED)
            .maximumExpectedValue(MAX_EXPECTED)
            .register(registry))
        .record(Duration.ofNanos(nanos));
  }

  void shed() {
    shed.increment();
  }
}
