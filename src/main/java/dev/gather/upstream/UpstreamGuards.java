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

  UpstreamGuard of(String upstream) {
    return guards.get(upstream);
  }
}
