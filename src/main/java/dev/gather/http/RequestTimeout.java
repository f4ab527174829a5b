package dev.gather.http;

import io.vertx.ext.web.RoutingContext;

/**
 * Answers 503 when a request has not been answered within {@code http.requestTimeoutMs}, so that no client
 * ever waits forever. Unlike Vert.x's TimeoutHandler it leaves a response alone once its head is written, so
 * a long streamed export is not cut off half way.
 */
public final class RequestTimeout {
  private final long timeoutMs;

  public RequestTimeout(long timeoutMs) {
    this.timeoutMs = timeoutMs;
  }

  public void handle(RoutingContext ctx) {
    long timer = ctx.vertx().setTimer(timeoutMs, t -> {
      if (!ctx.response().headWritten() && !ctx.response().closed()) {
        ctx.fail(new ApiError(503, "request-timeout",
            "the request was not answered within http.requestTimeoutMs (" + timeoutMs + " ms)"));
      }
    });
    ctx.addEndHandler(done -> ctx.vertx().cancelTimer(timer));
    ctx.next();
  }
}
