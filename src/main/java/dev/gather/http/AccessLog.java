package dev.gather.http;

import dev.gather.time.Ticker;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One line per finished request: id, method, path, status, bytes sent and time taken. */
public final class AccessLog {
  private static final Logger LOG = LoggerFactory.getLogger("gather.access");

  private AccessLog() {}

  public static void record(RoutingContext ctx) {
    long started = Ticker.SYSTEM.nanoTime();
    ctx.addEndHandler(done -> {
      if (LOG.isInfoEnabled()) {
        HttpServerRequest request = ctx.request();
        LOG.info("{} {} {} {} {}B {}ms{}", RequestIds.of(ctx), request.method(), request.uri(),
            ctx.response().getStatusCode(), ctx.response().bytesWritten(), Ticker.SYSTEM.millisSince(started),
            done.succeeded() ? "" : " (connection closed before the response was complete)");
      }
    });
    ctx.next();
  }
}
