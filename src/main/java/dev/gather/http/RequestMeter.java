package dev.gather.http;

import dev.gather.metrics.HttpServerMeters;
import dev.gather.time.Ticker;
import io.vertx.core.AsyncResult;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.PlatformHandler;

/**
 * Measures every request the router sees into {@link HttpServerMeters}: {@link #begin} first of all handlers,
 * {@link #at} first on each route, so a request that fails inside its route still counts under that route's
 * template (by the time its failure handler answers, the current route is the failure route).
 */
public final class RequestMeter {
  private static final String KEY = "gather.requestMeter";
  private final HttpServerMeters meters;
  private final Ticker ticker;

  public RequestMeter(HttpServerMeters meters, Ticker ticker) {
    this.meters = meters;
    this.ticker = ticker;
  }

  public void begin(RoutingContext ctx) {
    Measured measured = new Measured(ctx, HttpServerMeters.method(ctx.request().method()), ticker.nanoTime());
    meters.begun(measured.method);
    ctx.put(KEY, measured);
    ctx.addEndHandler(measured);
    ctx.next();
  }

  /**
   * The handler that marks a request as routed to {@code template}; its meters are resolved here, once. A platform
   * handler, so that Vert.x lets it run before a route's body handler.
   */
  public PlatformHandler at(String template) {
    return at(template, null);
  }

  /** The same for the route of an aggregate, whose name the access log reports. */
  public PlatformHandler at(String template, String aggregate) {
    HttpServerMeters.Route route = meters.route(template);
    return ctx -> {
      Measured measured = ctx.get(KEY);
      if (measured != null) {
        measured.route = route;
        measured.aggregate = aggregate;
      }
      ctx.next();
    };
  }

  /** The route template a request was routed to, as its meters count it; null before {@link #begin}. */
  static String route(RoutingContext ctx) {
    Measured measured = ctx.get(KEY);
    return measured == null ? null : measured.route.template();
  }

  /** The aggregate a request was routed to, or null. */
  static String aggregate(RoutingContext ctx) {
    Measured measured = ctx.get(KEY);
    return measured == null ? null : measured.aggregate;
  }

  private final class Measured implements Handler<AsyncResult<Void>> {
    private final RoutingContext ctx;
    private final int method;
    private final long began;
    private HttpServerMeters.Route route = meters.unmatched();
    private String aggregate;

    Measured(RoutingContext ctx, int method, long began) {
      this.ctx = ctx;
      this.method = method;
      this.began = began;
    }

    @Override
    public void handle(AsyncResult<Void> done) {
      HttpServerRequest request = ctx.request();
      if (request.isEnded()) {
        meters.requestRead(method, request.bytesRead());
      }
      if (done.succeeded()) {
        meters.answered(route, method, ctx.response().getStatusCode(), ticker.nanoTime() - began,
            ctx.response().bytesWritten());
      } else {
        meters.reset(method);
      }
    }
  }
}
