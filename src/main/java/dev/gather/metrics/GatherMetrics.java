package dev.gather.metrics;

import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.micrometer.Label;
import io.vertx.micrometer.MetricsDomain;
import io.vertx.micrometer.MicrometerMetricsOptions;
import java.util.EnumSet;

/**
 * What {@code GET /metrics} holds, and the rule it keeps: no label carries a value a client chooses or one per
 * connection. The HTTP server's meters ({@link HttpServerMeters}) are labelled by route template, status code and
 * a method from a fixed set; pools by type and name. Micrometer remembers every tag combination it was ever asked
 * for, even one a filter maps away, so client-chosen values are kept out where the tags are made, not filtered
 * afterwards.
 */
public final class GatherMetrics {
  /** Per meter name and tag key; far above what a configuration declares (routes, upstreams, statuses). */
  static final int MAX_VALUES_PER_TAG = 1000;

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
   * Vert.x's pool, SQL client and event bus meters. Vert.x's HTTP server meters are off: they build tags and look
   * their meters up on every request, so gather keeps the same series itself ({@link HttpServerMeters}), each meter
   * resolved once. Its HTTP client meters are off too: gather measures every upstream call itself, per configured
   * upstream (gather_upstream_*).
   */
  public static MicrometerMetricsOptions vertxOptions() {
    return new MicrometerMetricsOptions()
        .setEnabled(true)
        .setLabels(EnumSet.of(Label.POOL_TYPE, Label.POOL_NAME, Label.NAMESPACE))
        .addDisabledMetricsCategory(MetricsDomain.HTTP_SERVER)
        .addDisabledMetricsCategory(MetricsDomain.HTTP_CLIENT);
  }
}
