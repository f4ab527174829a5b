package dev.gather.upstream;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import dev.gather.failure.FailureKind;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Per upstream: every call's duration by outcome ({@code gather_upstream_call_seconds}, a histogram whose
 * {@code _count} is the number of calls and whose {@code outcome} label is "ok" or the failure kind), calls shed
 * before they were made ({@code gather_upstream_shed_total}), retries and hedges apart, and calls in flight and
 * waiting right now. Every meter is resolved once (a call's timer by its outcome's ordinal), so no call looks a
 * meter up by its tags.
 */
final class UpstreamMetrics {
  private static final Duration MIN_EXPECTED = Duration.ofMillis(1);
  private static final Duration MAX_EXPECTED = Duration.ofSeconds(30);

  private final String upstream;
  private final MeterRegistry registry;
  private final Counter shed;
  private final Counter retries;
  private final Counter hedges;
  private final Counter coalesced;
  private final Counter shortCircuited;
  /**
   * The call timer of "ok" (index 0) and of each kind (1 + ordinal), made on first use: made up front, every
   * kind an upstream never fails with would still add its empty histogram to every scrape.
   */
  private final AtomicReferenceArray<Timer> calls = new AtomicReferenceArray<>(1 + FailureKind.values().length);
  /** The series of each host listed now; changed only by the one resolution of the upstream at a time. */
  private final Map<HostPicker.Host, List<Meter>> hostMeters = new ConcurrentHashMap<>();
  private volatile Counter resolutionFailures;

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
        .description("Tries sent again after a failed one")
        .tag("upstream", upstream).register(registry);
    this.hedges = Counter.builder("gather.upstream.hedges")
        .description("Twin tries sent because the first was slower than the hedge delay")
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

  /**
   * Per host of an upstream with several (or whose names are resolved into addresses): tries in flight, its state
   * (0 up, 1 ejected, 2 found down by the health check) and the times it was ejected. The host label is
   * {@code host:port} from config, or {@code address:port} of a resolved name, so its values are bounded by the
   * config and DNS, never by traffic; a host that leaves the set takes its series with it.
   */
  void hosts(HostPicker picker) {
    if (!picker.listed()) {
      return; // one host is the upstream: its breaker and call meters say it all
    }
    hostsChanged(picker, new HostPicker.Change(picker.hosts(), List.of()));
  }

  /** Adds the series of the hosts that came and removes those of the hosts that left. */
  void hostsChanged(HostPicker picker, HostPicker.Change change) {
    for (HostPicker.Host host : change.removed()) {
      List<Meter> meters = hostMeters.remove(host);
      if (meters != null) {
        meters.forEach(registry::remove);
      }
    }
    for (HostPicker.Host host : change.added()) {
      hostMeters.put(host, List.of(
          Gauge.builder("gather.upstream.host.in.flight", picker, p -> p.inFlight(host))
              .description("Tries in flight to this host of the upstream now")
              .tags("upstream", upstream, "host", host.label).register(registry),
          Gauge.builder("gather.upstream.host.state", picker, p -> p.state(host).ordinal())
              .description("Host state: 0 up, 1 ejected (outlier), 2 down (health check)")
              .tags("upstream", upstream, "host", host.label).register(registry),
          FunctionCounter.builder("gather.upstream.host.ejections", picker, p -> p.ejections(host))
              .description("Times the host was ejected for failing tries in a row")
              .tags("upstream", upstream, "host", host.label).register(registry)));
    }
  }

  /** A resolution of one of the upstream's host names that failed or found no address; the last ones are kept. */
  void resolutionFailed() {
    Counter counter = resolutionFailures;
    if (counter == null) {
      counter = Counter.builder("gather.upstream.dns.failures")
          .description("Resolutions of the upstream's host names that failed or found no address (the last known "
              + "addresses were kept)")
          .tag("upstream", upstream).register(registry);
      resolutionFailures = counter;
    }
    counter.increment();
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

  void hedge() {
    hedges.increment();
  }

  /** A finished try: {@code outcome} null for "ok", else the kind it failed with. */
  void call(FailureKind outcome, long nanos) {
    int index = outcome == null ? 0 : 1 + outcome.ordinal();
    Timer timer = calls.get(index);
    if (timer == null) {
      // Registering twice from two event loops at once is harmless: the registry hands back the same timer.
      timer = Timer.builder("gather.upstream.call")
          .description("Calls to the upstream, by outcome (ok or the failure kind)")
          .tags("upstream", upstream, "outcome", outcome == null ? "ok" : outcome.wireName())
          .publishPercentileHistogram()
          .minimumExpectedValue(MIN_EXPECTED)
          .maximumExpectedValue(MAX_EXPECTED)
          .register(registry);
      calls.set(index, timer);
    }
    timer.record(nanos, TimeUnit.NANOSECONDS);
  }

  void shed() {
    shed.increment();
  }
}
