package dev.gather.http;

import dev.gather.time.Timers;
import io.vertx.ext.web.RoutingContext;

/**
 * Answers 503 when a request has not been answered within {@code http.requestTimeoutMs}, so that no client
 * ever waits forever. Unlike Vert.x's TimeoutHandler it leaves a response alone once its head is written, so
 * a long streamed export is not cut off half way.
 */
public final class RequestTimeout {
  private final long timeoutMs;
  private final Timers timers;

  /** {@code timers}: the wheel ({@link Timers#timeouts}), as one is set and cancelled on every request. */
  public RequestTimeout(long timeoutMs, Timers timers) {
    this.timeoutMs = timeoutMs;
    this.timers = timers;
  }

  public void handle(RoutingContext ctx) {
    Timers.Scheduled timer = timers.schedule(timeoutMs, () -> {
      if (!ctx.response().headWritten() && !ctx.response().closed()) {
        ctx.fail(new ApiError(503, "request-timeout",
            "the request was not answered within http.requestTimeoutMs (" + timeoutMs + " ms)"));
      }
    });
    ctx.addEndHandler(done -> timer.cancel());
    ctx.next();
  }
}
