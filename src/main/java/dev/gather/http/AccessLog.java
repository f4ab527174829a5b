package dev.gather.http;

import dev.gather.time.Ticker;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One line per finished request: id, method, path, status, bytes sent and time taken. */
public final class AccessLog {
  private static final Logger LOG = LoggerFactory.getLogger("gather.access");
  private static final String CUT_SHORT = " (connection closed before the response was complete)";

  private AccessLog() {}

  public static void record(RoutingContext ctx) {
    long started = Ticker.SYSTEM.nanoTime();
    ctx.addEndHandler(done -> {
      if (LOG.isInfoEnabled()) {
        LOG.info(line(ctx, Ticker.SYSTEM.millisSince(started), done.succeeded()));
      }
    });
    ctx.next();
  }

  // Built here as one string, not by the logger from a pattern and seven arguments: once per request, on the loop.
  private static String line(RoutingContext ctx, long millis, boolean complete) {
    HttpServerRequest request = ctx.request();
    HttpServerResponse response = ctx.response();
    String uri = request.uri();
    StringBuilder line = new StringBuilder(64 + uri.length())
        .append(RequestIds.of(ctx)).append(' ')
        .append(request.method().name()).append(' ')
        .append(uri).append(' ')
        .append(response.getStatusCode()).append(' ')
        .append(response.bytesWritten()).append("B ")
        .append(millis).append("ms");
    if (!complete) {
      line.append(CUT_SHORT);
    }
    return line.toString();
  }
}
