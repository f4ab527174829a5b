package dev.gather.upstream;

import dev.gather.config.UpstreamConfig;
import io.opentelemetry.api.trace.Tracer;
import io.vertx.core.Vertx;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Every configured upstream as one HTTP verticle instance sees it. Connections are per instance (each event loop
 * keeps its own), while the limits on calls in flight and the meters are shared by the process.
 */
public final class Upstreams {
  private final Map<String, Upstream> upstreams;
  private final Tracer tracer;

  public Upstreams(Vertx vertx, Map<String, UpstreamConfig> configs, UpstreamGuards guards) {
    this.tracer = guards.tracer();
    this.upstreams = configs.values().stream().collect(Collectors.toUnmodifiableMap(
        UpstreamConfig::name, config -> new Upstream(vertx, config, guards.of(config.name()))));
  }

  public Optional<Upstream> find(String name) {
    return Optional.ofNullable(upstreams.get(name));
  }

  /** An upstream that config validation has already checked exists. */
  public Upstream get(String name) {
    return find(name).orElseThrow(() -> new IllegalArgumentException("no upstream named " + name));
  }

  /** gather's tracer, or null when tracing is off. */
  public Tracer tracer() {
    return tracer;
  }

  public void close() {
    upstreams.values().forEach(Upstream::close);
  }
}
