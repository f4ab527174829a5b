package dev.gather.trace;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.context.propagation.TextMapSetter;
import io.vertx.core.MultiMap;

/**
 * The span of one try of an upstream call: a CLIENT span made by gather, carrying the try's own attributes, whose
 * context goes upstream in the try's trace headers. Vert.x's HTTP client is told not to trace these requests.
 *
 * <p>Why not let Vert.x make the client span, as it does for the proxy: it would be a second span per try, and it
 * finds its parent through the Vert.x context, so each try would need a duplicated context of its own (several
 * tries of one request run at once on one event loop). At 100 % sampling those client spans were a quarter of all
 * spans exported and the duplicated contexts most of the per-try cost; one span per try says the same.
 */
public final class TrySpans {
  /** OpenTelemetry's HTTP client conventions (stable names); gather's own keys are in {@link Tracing.Keys}. */
  static final AttributeKey<String> HTTP_METHOD = AttributeKey.stringKey("http.request.method");
  static final AttributeKey<Long> HTTP_STATUS = AttributeKey.longKey("http.response.status_code");
  static final AttributeKey<String> SERVER_ADDRESS = AttributeKey.stringKey("server.address");
  static final AttributeKey<Long> SERVER_PORT = AttributeKey.longKey("server.port");
  private static final TextMapSetter<MultiMap> HEADERS = (headers, name, value) -> headers.set(name, value);

  private final Tracer tracer;
  private final TextMapPropagator propagator;

  TrySpans(Tracer tracer, TextMapPropagator propagator) {
    this.tracer = tracer;
    this.propagator = propagator;
  }

  /**
   * A try's span under {@code parent} (the source's). {@code hedged} is set only on a hedge's twin: an absent
   * boolean reads as false, and one attribute less on every plain try is worth it at 100 % sampling. The upstream
   * is in the span's name and on its parent source span, so not repeated here (a try without a source span, the
   * proxy's, adds it itself).
   */
  public Span start(Context parent, String upstream, String method, int attempt, boolean twin) {
    SpanBuilder builder = tracer.spanBuilder("try " + upstream)
        .setParent(parent)
        .setSpanKind(SpanKind.CLIENT)
        .setAttribute(HTTP_METHOD, method)
        .setAttribute(Tracing.Keys.ATTEMPT, (long) attempt);
    if (twin) {
      builder.setAttribute(Tracing.Keys.HEDGED, true);
    }
    return builder.startSpan();
  }

  /** The host a try went to, once the balancer has chosen it. */
  public static void aimedAt(Span span, String host, int port) {
    span.setAttribute(SERVER_ADDRESS, host);
    span.setAttribute(SERVER_PORT, (long) port);
  }

  /** The status the upstream answered with. */
  public static void answered(Span span, int status) {
    span.setAttribute(HTTP_STATUS, (long) status);
  }

  /**
   * {@code headers} with the try's trace context added ({@code traceparent}, and {@code tracestate} when there is
   * one; or what OTEL_PROPAGATORS asks for), replacing any a client forwarded: the upstream's parent is the try.
   * A copy: the call's headers are shared by its tries.
   */
  public MultiMap inject(Span span, MultiMap headers) {
    MultiMap copy = MultiMap.caseInsensitiveMultiMap().addAll(headers);
    propagator.inject(Context.root().with(span), copy, HEADERS);
    return copy;
  }
}
