package dev.gather.trace;

import static io.opentelemetry.api.common.AttributeKey.booleanKey;
import static io.opentelemetry.api.common.AttributeKey.longKey;
import static io.opentelemetry.api.common.AttributeKey.stringKey;

import ch.qos.logback.classic.LoggerContext;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VertxBuilder;
import io.vertx.core.internal.ContextInternal;
import io.vertx.tracing.opentelemetry.OpenTelemetryTracingFactory;
import io.vertx.tracing.opentelemetry.VertxContextStorageProvider.VertxContextStorage;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.LoggerFactory;

/**
 * OpenTelemetry for one gather: the SDK as the standard {@code OTEL_*} variables (or {@code otel.*} system
 * properties) configure it, read by the SDK's autoconfigure, exporting over OTLP/HTTP; or nothing at all. It is
 * on only when an exporter is configured (an OTLP endpoint, or {@code OTEL_TRACES_EXPORTER}) and
 * {@code OTEL_SDK_DISABLED} is not true. Off means no SDK, no exporter thread, no Vert.x tracer, and
 * {@link #tracer()} null, which every span site checks first.
 */
public final class Tracing {
  public static final Tracing OFF = new Tracing(null, null);
  /** The instrumentation scope of gather's own spans (Vert.x's HTTP spans are under {@code io.vertx}). */
  static final String SCOPE = "dev.gather";

  /**
   * Defaults under everything an operator sets: OTLP over HTTP (the SDK's own default is gRPC), traces only (the
   * SDK would also export metrics and logs, which gather serves at /metrics and writes to its log), a service
   * name that says what it is, and export batches of 2,048 spans from a queue of 8,192 (the SDK's 512 and 2,048
   * are sized for services that make a span or two per request; gather makes eight for a 3-source aggregate, and
   * each export costs a JDK HTTP request whatever its size: at 100 % sampling the bigger batches took a third
   * less CPU per request in the bench, for a queue of at most a few MiB).
   */
  private static final Map<String, String> DEFAULTS = Map.of(
      "otel.service.name", "gather",
      "otel.exporter.otlp.protocol", "http/protobuf",
      "otel.metrics.exporter", "none",
      "otel.logs.exporter", "none",
      "otel.bsp.max.export.batch.size", "2048",
      "otel.bsp.max.queue.size", "8192");

  private final OpenTelemetrySdk sdk;
  private final Tracer tracer;
  private final TrySpans trySpans;
  private final SpanCounts counts;

  private Tracing(OpenTelemetrySdk sdk, SpanCounts counts) {
    this.sdk = sdk;
    this.counts = counts;
    this.tracer = sdk == null ? null : sdk.getTracer(SCOPE);
    this.trySpans = sdk == null ? null : new TrySpans(tracer, sdk.getPropagators().getTextMapPropagator());
  }

  /** From the process's environment and system properties: {@link #OFF} unless they configure an exporter. */
  public static Tracing fromEnvironment() {
    return create(Map.of());
  }

  /**
   * The same, {@code settings} ({@code otel.*} keys) taking precedence over the environment and system
   * properties: how a test points one gather at its collector without touching the JVM's.
   */
  public static Tracing create(Map<String, String> settings) {
    if (!configured(settings)) {
      return OFF;
    }
    OpenTelemetrySdk sdk;
    SpanCounts counts = new SpanCounts();
    try {
      sdk = AutoConfiguredOpenTelemetrySdk.builder()
          .addPropertiesSupplier(() -> DEFAULTS)
          .addPropertiesCustomizer(properties -> settings)
          .addSpanExporterCustomizer((exporter, config) -> counts.counting(exporter))
          // Every span that ends reaches every processor: this one counts them beside the batch processor.
          .addTracerProviderCustomizer((provider, config) -> provider.addSpanProcessor(counts.endCounter()))
          .disableShutdownHook() // gather's own stop flushes the last spans, then shuts the SDK down
          .build()
          .getOpenTelemetrySdk();
    } catch (RuntimeException e) {
      // autoconfigure's own message can be as vague as "Unexpected configuration error"; the cause says what.
      Throwable root = e;
      while (root.getCause() != null) {
        root = root.getCause();
      }
      throw new IllegalArgumentException("the OpenTelemetry settings (OTEL_* variables, otel.* properties) cannot be"
          + " used: " + e.getMessage() + (root == e ? "" : ": " + root.getMessage()), e);
    }
    if (LoggerFactory.getILoggerFactory() instanceof LoggerContext logback) {
      logback.addTurboFilter(new TraceMdc());
    }
    return new Tracing(sdk, counts);
  }

  /** Whether an exporter is configured and the SDK is not disabled. */
  static boolean configured(Map<String, String> settings) {
    if ("true".equalsIgnoreCase(setting("otel.sdk.disabled", settings))) {
      return false;
    }
    String exporter = setting("otel.traces.exporter", settings);
    if (exporter != null) {
      return !exporter.trim().equalsIgnoreCase("none");
    }
    return setting("otel.exporter.otlp.endpoint", settings) != null
        || setting("otel.exporter.otlp.traces.endpoint", settings) != null;
  }

  /** As autoconfigure reads a key: the given settings, then the system property, then the variable. */
  private static String setting(String key, Map<String, String> settings) {
    String value = settings.get(key);
    if (value == null) {
      value = System.getProperty(key);
    }
    if (value == null) {
      value = System.getenv(key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_'));
    }
    return value == null || value.isBlank() ? null : value;
  }

  public boolean enabled() {
    return sdk != null;
  }

  /** {@code gather_trace_spans_total{outcome}}: ended, exported, failed (nothing when tracing is off). */
  public void meters(io.micrometer.core.instrument.MeterRegistry registry) {
    if (counts != null) {
      counts.register(registry);
    }
  }

  /** gather's tracer, or null when tracing is off. */
  public Tracer tracer() {
    return tracer;
  }

  /** The propagators' text-map form (W3C trace context unless OTEL_PROPAGATORS says otherwise); null when off. */
  public TextMapPropagator propagator() {
    return sdk == null ? null : sdk.getPropagators().getTextMapPropagator();
  }

  /** The spans of upstream tries, or null when tracing is off. */
  public TrySpans trySpans() {
    return trySpans;
  }

  /**
   * Vert.x with its tracer: SQL queries get their spans from it, and the proxy's and clients' requests their
   * {@code traceparent}. The API server tells it to ignore requests: gather makes their server spans itself
   * ({@code http.ServerSpans}), and the upstream clients' try spans ({@link TrySpans}).
   */
  public VertxBuilder applyTo(VertxBuilder builder) {
    return sdk == null ? builder : builder.withTracer(new OpenTelemetryTracingFactory(sdk));
  }

  /** Exports what is still buffered, then stops the exporter; never blocks the caller. */
  public Future<Void> close() {
    if (sdk == null) {
      return Future.succeededFuture();
    }
    Promise<Void> closed = Promise.promise();
    sdk.shutdown().whenComplete(() -> closed.tryComplete());
    return closed.future();
  }

  /**
   * Runs {@code call} with {@code trace} as the current trace context of a context of its own (a duplicate of the
   * caller's, on the same event loop), so that Vert.x's client spans started inside, and whatever continues
   * from them, have {@code trace}'s span as parent. Several calls of one request run at once on one event loop;
   * each needs its own Vert.x context to hold its own parent. Without tracing, or off a Vert.x thread, it just
   * calls.
   */
  public static <T> Future<T> within(Context trace, Supplier<Future<T>> call) {
    ContextInternal current = trace == null ? null : ContextInternal.current();
    if (current == null) {
      return call.get();
    }
    ContextInternal own = current.duplicate();
    VertxContextStorage.INSTANCE.attach(own, trace);
    @SuppressWarnings("unchecked")
    Future<T>[] result = new Future[1];
    own.emit(v -> result[0] = call.get());
    return result[0];
  }

  /** The trace id of the span current on this thread's Vert.x context, or null when there is none. */
  public static String traceId() {
    SpanContext span = Span.current().getSpanContext();
    return span.isValid() ? span.getTraceId() : null;
  }

  /** The current span's id, or null when nothing is traced. */
  public static String spanId() {
    SpanContext span = Span.current().getSpanContext();
    return span.isValid() ? span.getSpanId() : null;
  }

  /**
   * Attributes of gather's spans, one place for their names; typed keys made once, since a key made from a name
   * on every call is an allocation and a hash per attribute per span.
   */
  public static final class Keys {
    public static final AttributeKey<String> AGGREGATE = stringKey("gather.aggregate");
    public static final AttributeKey<String> SOURCE = stringKey("gather.source");
    public static final AttributeKey<String> UPSTREAM = stringKey("gather.upstream");
    public static final AttributeKey<String> QUERY = stringKey("gather.query");
    public static final AttributeKey<Long> ATTEMPT = longKey("gather.attempt");
    public static final AttributeKey<Long> ATTEMPTS = longKey("gather.attempts");
    public static final AttributeKey<Boolean> HEDGED = booleanKey("gather.hedged");
    public static final AttributeKey<Boolean> COALESCED = booleanKey("gather.coalesced");
    /** The source was answered from the cache ({@code gather.stale} too when the entry was served stale). */
    public static final AttributeKey<Boolean> CACHED = booleanKey("gather.cached");
    public static final AttributeKey<Boolean> STALE = booleanKey("gather.stale");
    public static final AttributeKey<Boolean> SHORT_CIRCUITED = booleanKey("gather.short_circuited");
    public static final AttributeKey<String> FAILURE_KIND = stringKey("gather.failure_kind");
    public static final AttributeKey<String> MODE = stringKey("gather.mode");

    private Keys() {}
  }
}
