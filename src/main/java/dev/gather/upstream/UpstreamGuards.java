package dev.gather.upstream;

import dev.gather.config.DnsConfig;
import dev.gather.config.UpstreamConfig;
import dev.gather.dns.DnsResolver;
import dev.gather.time.Ticker;
import dev.gather.time.Timers;
import io.micrometer.core.instrument.MeterRegistry;
import dev.gather.trace.Tracing;
import io.opentelemetry.api.trace.Tracer;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** The {@link UpstreamGuard} of every configured upstream; made once per process and given to every HTTP instance. */
public final class UpstreamGuards {
  private final Map<String, UpstreamGuard> guards;
  private final Tracer tracer;

  /**
   * Guards on the system's clock; their hedges wait on {@code vertx}'s timers, their waits for a turn or a
   * shared call (timeouts, which rarely fire) on its wheel.
   */
  public UpstreamGuards(Vertx vertx, Map<String, UpstreamConfig> upstreams, MeterRegistry registry) {
    this(vertx, upstreams, registry, Tracing.OFF);
  }

  /** With {@code tracing} for the spans of each call and each of its tries. */
  public UpstreamGuards(Vertx vertx, Map<String, UpstreamConfig> upstreams, MeterRegistry registry, Tracing tracing) {
    this(vertx, upstreams, registry, tracing, new DnsConfig(java.util.List.of(), 2_000));
  }

  /** With {@code dns} the servers asked for the upstreams that resolve their host names ({@code resolveEveryMs}). */
  public UpstreamGuards(Vertx vertx, Map<String, UpstreamConfig> upstreams, MeterRegistry registry, Tracing tracing,
      DnsConfig dns) {
    this.tracer = tracing.tracer();
    Timers timers = Timers.of(vertx);
    Timers timeouts = Timers.timeouts(vertx);
    this.guards = upstreams.values().stream()
        .collect(Collectors.toUnmodifiableMap(UpstreamConfig::name,
            config -> new UpstreamGuard(config, registry, Ticker.SYSTEM, timers, timeouts,
                tracing.trySpans())));
    // Once per process, not per HTTP instance: each host is checked once per interval whatever the instances.
    upstreams.values().stream().filter(config -> config.hosts().healthPath().isPresent())
        .forEach(config -> new HealthChecks(vertx, config, guards.get(config.name()).hosts).start());
    List<UpstreamConfig> resolving = upstreams.values().stream()
        .filter(config -> config.hosts().resolveEveryMs() > 0).toList();
    if (!resolving.isEmpty()) {
      DnsResolver resolver = new DnsResolver(vertx, dns);
      resolving.forEach(config -> {
        UpstreamGuard guard = guards.get(config.name());
        new HostResolution(vertx, config, guard.hosts, guard.metrics, resolver).start();
      });
    }
  }

  /** Each upstream that has a circuit breaker, with its state ("closed", "open", "half_open"), by name. */
  public Map<String, String> breakerStates() {
    Map<String, String> states = new java.util.TreeMap<>();
    guards.forEach((name, guard) -> guard.breakerState().ifPresent(state -> states.put(name, state)));
    return states;
  }

  /** A breaker as an operator sees it: its state and, when open, milliseconds until it lets a probe through. */
  public record BreakerView(String state, long probeInMs) {}

  /** Each upstream that has a circuit breaker, with its state and next probe, by name. */
  public Map<String, BreakerView> breakers() {
    Map<String, BreakerView> views = new java.util.TreeMap<>();
    guards.forEach((name, guard) -> guard.breaker.ifPresent(breaker -> views.put(name,
        new BreakerView(breaker.state().name().toLowerCase(java.util.Locale.ROOT), breaker.msUntilProbe()))));
    return views;
  }

  /** The hosts of each upstream that has several, with their state (see {@link UpstreamGuard#hostStates}), by name. */
  public Map<String, Map<String, Map<String, Object>>> hostStates() {
    Map<String, Map<String, Map<String, Object>>> states = new java.util.TreeMap<>();
    guards.forEach((name, guard) -> {
      Map<String, Map<String, Object>> hosts = guard.hostStates();
      if (!hosts.isEmpty()) {
        states.put(name, hosts);
      }
    });
    return states;
  }

  /** gather's tracer, or null when tracing is off. */
  public Tracer tracer() {
    return tracer;
  }

  UpstreamGuard of(String upstream) {
    return guards.get(upstream);
  }
}
