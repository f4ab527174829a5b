package dev.gather.metrics;

import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.spi.observability.HttpRequest;
import io.vertx.micrometer.Label;
import io.vertx.micrometer.MetricsDomain;
import io.vertx.micrometer.MicrometerMetricsOptions;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * What {@code GET /metrics} holds, and the rule it keeps: no label carries a value a client chooses or one per
 * connection. Vert.x's HTTP server meters are labelled by route template, status code and a method from a fixed
 * set; pools by type and name. Micrometer remembers every tag combination it was ever asked for, even one a filter
 * maps away, so client-chosen values are kept out where the tags are made, not filtered afterwards.
 */
public final class GatherMetrics {
  /** Per meter name and tag key; far above what a configuration declares (routes, upstreams, statuses). */
  static final int MAX_VALUES_PER_TAG = 1000;
  static final String OTHER_METHOD = "_OTHER";
  private static final List<HttpMethod> KNOWN_METHODS = List.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.POST,
      HttpMethod.PUT, HttpMethod.PATCH, HttpMethod.DELETE, HttpMethod.OPTIONS, HttpMethod.TRACE, HttpMethod.CONNECT);
  private static final Map<HttpMethod, Tags> METHOD_TAGS = KNOWN_METHODS.stream()
      .collect(Collectors.toUnmodifiableMap(Function.identity(), method -> Tags.of("method", method.name())));
  private static final Tags OTHER_METHOD_TAGS = Tags.of("method", OTHER_METHOD);

  private GatherMetrics() {}

  /** A Prometheus registry with the JVM's meters and the cap on tag values, set before any meter exists. */
  public static PrometheusMeterRegistry registry() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    registry.config().meterFilter(new TagValueCap(MAX_VALUES_PER_TAG));
    new ClassLoaderMetrics().bindTo(registry);
    new JvmMemoryMetrics().bindTo(registry);
    new JvmGcMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    return registry;
  }

  /**
   * Vert.x's HTTP server and pool meters. Left out: the client's address ({@link Label#REMOTE}, one series per
   * connection), the raw path, and the method as sent (any token is a valid method, so the label comes from
   * {@link #method} instead). Vert.x's HTTP client meters are off: gather measures every upstream call itself,
   * per configured upstream (gather_upstream_*).
   */
  public static MicrometerMetricsOptions vertxOptions() {
    return new MicrometerMetricsOptions()
        .setEnabled(true)
        .setLabels(EnumSet.of(Label.HTTP_ROUTE, Label.HTTP_CODE, Label.POOL_TYPE, Label.POOL_NAME, Label.NAMESPACE))
        .setServerRequestTagsProvider(GatherMetrics::method)
        .addDisabledMetricsCategory(MetricsDomain.HTTP_CLIENT);
  }

  /** The request's method when it is one HTTP defines, else {@value #OTHER_METHOD}. */
  static Iterable<Tag> method(HttpRequest request) {
    return METHOD_TAGS.getOrDefault(request.method(), OTHER_METHOD_TAGS);
  }
}
