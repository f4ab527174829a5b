package dev.gather.console;

import dev.gather.config.AggregateConfig;
import dev.gather.config.SourceConfig;
import dev.gather.config.UpstreamConfig;
import dev.gather.upstream.UpstreamGuards;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The console's JSON views of config and state. What they show is chosen field by field, never a config record
 * dumped whole: a source's headers, query values and body, an upstream URL's user info, path and query, and all
 * of {@code auth}, {@code db} and the Redis URLs can hold secrets, so none of them is ever in a view.
 */
final class ConsoleViews {
  private static final Pattern PATH_PARAMETER = Pattern.compile(":([A-Za-z0-9_]+)");

  private ConsoleViews() {}

  /** An aggregate as its graph: its sources with what each waits for, its deadline, what a try may set. */
  static JsonObject aggregate(AggregateConfig aggregate, Map<String, UpstreamConfig> upstreams,
      List<RecordedRequest> recent) {
    JsonArray sources = new JsonArray();
    Set<String> parameters = new LinkedHashSet<>();
    Matcher path = PATH_PARAMETER.matcher(aggregate.path());
    Set<String> pathParameters = new LinkedHashSet<>();
    while (path.find()) {
      pathParameters.add(path.group(1));
    }
    for (SourceConfig source : aggregate.sources()) {
      JsonObject view = new JsonObject()
          .put("name", source.name())
          .put("kind", source.query().isPresent() ? "query" : "upstream")
          .put("upstream", source.upstream().orElse(null))
          .put("query", source.query().orElse(null))
          .put("method", source.method())
          .put("path", source.query().isPresent() ? null : source.path().text())
          .put("needs", new JsonArray(source.dependencies().stream().sorted().toList()))
          .put("required", source.required())
          // A source without its own timeout has its upstream's (a SQL source, db.queryTimeoutMs: shown as null).
          .put("timeoutMs", source.timeoutMs() > 0 ? Integer.valueOf(source.timeoutMs())
              : source.upstream().map(upstreams::get).map(UpstreamConfig::timeoutMs).orElse(null))
          .put("forEach", source.forEach().isPresent())
          .put("cached", source.cache().isPresent())
          .put("conditional", source.when().isPresent());
      sources.add(view);
      parameters.addAll(source.path().parameters());
      source.params().forEach(t -> parameters.addAll(t.parameters()));
      source.queryParams().values().forEach(list -> list.forEach(t -> parameters.addAll(t.parameters())));
      source.forEach().filter(part -> !part.isLiteral() && part.source().isEmpty()).ifPresent(part -> parameters
          .add(part.parameter()));
    }
    parameters.removeAll(pathParameters);
    JsonArray requests = new JsonArray();
    recent.forEach(request -> requests.add(request(request)));
    return new JsonObject()
        .put("name", aggregate.name())
        .put("method", aggregate.method())
        .put("path", aggregate.path())
        .put("deadlineMs", aggregate.deadlineMs())
        .put("pathParameters", new JsonArray(List.copyOf(pathParameters)))
        .put("queryParameters", new JsonArray(List.copyOf(parameters)))
        .put("sources", sources)
        .put("recent", requests);
  }

  static JsonObject request(RecordedRequest request) {
    JsonArray sources = new JsonArray();
    for (SourceTiming source : request.sources()) {
      sources.add(new JsonObject()
          .put("name", source.name())
          .put("startMs", source.startMs())
          .put("ms", source.ms())
          .put("status", source.status())
          .put("attempts", source.attempts())
          .put("hedged", source.hedged())
          .put("coalesced", source.coalesced())
          .put("shortCircuited", source.shortCircuited())
          .put("cached", source.cached())
          .put("stale", source.stale())
          .put("skipped", source.skipped())
          .put("failure", source.failure())
          .put("detail", source.detail()));
    }
    return new JsonObject()
        .put("seq", request.seq())
        .put("at", request.atEpochMs())
        .put("aggregate", request.aggregate())
        .put("requestId", request.requestId())
        .put("status", request.status())
        .put("complete", request.complete())
        .put("ms", request.ms())
        .put("sources", sources);
  }

  /**
   * Each upstream: where it is (scheme, host and port only), its limits, what is in flight and waiting now, the
   * shed, retries, hedges and short circuits so far, its breaker with the next probe, its hosts, its cache's hit
   * rate, and the last minute's rate, errors and latency percentiles.
   */
  static JsonArray upstreams(Map<String, UpstreamConfig> configs, UpstreamGuards guards, MeterRegistry registry,
      JsonObject history) {
    Map<String, UpstreamGuards.BreakerView> breakers = guards.breakers();
    Map<String, Map<String, Map<String, Object>>> hosts = guards.hostStates();
    JsonArray all = new JsonArray();
    for (UpstreamConfig config : configs.values()) {
      String name = config.name();
      JsonObject view = new JsonObject()
          .put("name", name)
          .put("hosts", new JsonArray(config.urls().stream().map(ConsoleViews::origin).toList()))
          .put("maxConcurrent", config.maxConcurrent())
          .put("maxQueued", config.maxQueued())
          .put("timeoutMs", config.timeoutMs())
          .put("inFlight", gauge(registry, "gather.upstream.in.flight", name))
          .put("queued", gauge(registry, "gather.upstream.queued", name))
          .put("shed", counter(registry, "gather.upstream.shed", name))
          .put("retries", counter(registry, "gather.upstream.retries", name))
          .put("hedges", counter(registry, "gather.upstream.hedges", name))
          .put("coalesced", counter(registry, "gather.upstream.coalesced", name))
          .put("shortCircuited", counter(registry, "gather.upstream.short.circuited", name))
          .put("cacheHitRate", cacheHitRate(registry, name))
          .put("recent", history.getJsonObject(name));
      UpstreamGuards.BreakerView breaker = breakers.get(name);
      view.put("breaker", breaker == null ? null
          : new JsonObject().put("state", breaker.state()).put("probeInMs", breaker.probeInMs()));
      Map<String, Map<String, Object>> hostStates = hosts.get(name);
      if (hostStates != null) {
        JsonObject states = new JsonObject();
        hostStates.forEach((host, state) -> states.put(host, new JsonObject(new LinkedHashMap<>(state))));
        view.put("hostStates", states);
      }
      all.add(view);
    }
    return all;
  }

  /** {@code scheme://host:port}: what an upstream's URL may show (user info, path and query are left out). */
  static String origin(URI url) {
    return url.getScheme() + "://" + url.getHost() + (url.getPort() < 0 ? "" : ":" + url.getPort());
  }

  private static long gauge(MeterRegistry registry, String name, String upstream) {
    Gauge gauge = registry.find(name).tag("upstream", upstream).gauge();
    return gauge == null ? 0 : Math.round(gauge.value());
  }

  private static long counter(MeterRegistry registry, String name, String upstream) {
    Counter counter = registry.find(name).tag("upstream", upstream).counter();
    return counter == null ? 0 : Math.round(counter.count());
  }

  /** Lookups answered from the cache (fresh or stale) over all lookups; null when it was never asked. */
  private static Double cacheHitRate(MeterRegistry registry, String upstream) {
    double served = 0;
    double all = 0;
    for (Counter counter : registry.find("gather.cache.lookups").tag("scope", upstream).counters()) {
      all += counter.count();
      if (!"miss".equals(counter.getId().getTag("result"))) {
        served += counter.count();
      }
    }
    return all == 0 ? null : Math.round(served * 1000 / all) / 1000.0;
  }

}
