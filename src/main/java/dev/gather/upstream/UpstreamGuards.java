package dev.gather.upstream;

import dev.gather.config.UpstreamConfig;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.stream.Collectors;

/** The {@link UpstreamGuard} of every configured upstream; made once per process and given to every HTTP instance. */
public final class UpstreamGuards {
  private final Map<String, UpstreamGuard> guards;

  public UpstreamGuards(Map<String, UpstreamConfig> upstreams, MeterRegistry registry) {
    this.guards = upstreams.values().stream()
        .collect(Collectors.toUnmodifiableMap(UpstreamConfig::name, config -> new UpstreamGuard(config, registry)));
  }

  /** Each upstream that has a circuit breaker, with its state ("closed", "open", "half_open"), by name. */
  public Map<String, String> breakerStates() {
    Map<String, String> states = new java.util.TreeMap<>();
    guards.forEach((name, guard) -> guard.breakerState().ifPresent(state -> states.put(name, state)));
    return states;
  }

  UpstreamGuard of(String upstream) {
    return guards.get(upstream);
  }
}
