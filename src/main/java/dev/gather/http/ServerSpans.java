package dev.gather.http;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.internal.ContextInternal;
import io.vertx.ext.web.RoutingContext;
import io.vertx.tracing.opentelemetry.VertxContextStorageProvider.VertxContextStorage;

/**
 * The SERVER span of each request, made by gather rather than by Vert.x's tracer (which the API server is told
 * to ignore), first of all router handlers. It continues the client's {@code traceparent} and is the current span
 * of the request's Vert.x context, so the aggregate, proxy and SQL spans, the access log and problem+json find it
 * as Vert.x's would have been found.
 *
 * <p>Why not Vert.x's: at 100 % sampling every attribute of every span is paid for three times (set, sized,
 * serialized for export), and Vert.x's server span carries the full URL (built per request) and the scheme, and is
 * named only by the method. This one carries what OpenTelemetry's HTTP server conventions require (method, path,
 * route, status) and is named {@code "GET /aggregate/:id"} once the route is known, which is what a trace view
 * lists. It reads the trace headers with one lookup each instead of a scan of all headers per field.
 */
public final class ServerSpans implements Handler<RoutingContext> {
  static final AttributeKey<String> HTTP_METHOD = AttributeKey.stringKey("http.request.method");
  static final AttributeKey<String> URL_PATH = AttributeKey.stringKey("url.path");
  static final AttributeKey<String> HTTP_ROUTE = AttributeKey.stringKey("http.route");
  static final AttributeKey<Long> HTTP_STATUS = AttributeKey.longKey("http.response.status_code");

  private static final TextMapGetter<MultiMap> HEADERS = new TextMapGetter<>() {
    @Override
    public Iterable<String> keys(MultiMap carrier) {
      return carrier.names();
    }

    @Override
    public String get(MultiMap carrier, String key) {
      return carrier == null ? null : carrier.get(key);
    }
  };

  private final Tracer tracer;
  private final TextMapPropagator propagator;

  public ServerSpans(Tracer tracer, TextMapPropagator propagator) {
    this.tracer = tracer;
    this.propagator = propagator;
  }

  @Override
  public void handle(RoutingContext ctx) {
    HttpServerRequest request = ctx.request();
    String method = request.method().name();
    Context parent = propagator.extract(Context.root(), request.headers(), HEADERS);
    Span span = tracer.spanBuilder(method)
        .setParent(parent)
        .setSpanKind(SpanKind.SERVER)
        .setAttribute(HTTP_METHOD, method)
        .setAttribute(URL_PATH, request.path())
        .startSpan();
    // The request runs on a duplicated context of its own: the span stays current for everything it starts.
    ContextInternal requestContext = ContextInternal.current();
    Scope scope = requestContext == null ? Scope.noop()
        : VertxContextStorage.INSTANCE.attach(requestContext, parent.with(span));
    ctx.addEndHandler(done -> {
      String route = RequestMeter.route(ctx);
      if (route != null) {
        span.updateName(method + " " + route);
        span.setAttribute(HTTP_ROUTE, route);
      }
      int status = ctx.response().getStatusCode();
      span.setAttribute(HTTP_STATUS, (long) status);
      // Server conventions: 5xx is the server's error; 4xx is the client's and leaves the status unset.
      if (status >= 500 || done.failed()) {
        span.setStatus(StatusCode.ERROR);
      }
      span.end();
      scope.close();
    });
    ctx.next();
  }
}
