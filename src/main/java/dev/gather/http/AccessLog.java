package dev.gather.http;

import dev.gather.time.Ticker;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One line per finished request: time, id, method, path, status, bytes sent and time taken. One instance per
 * HTTP verticle, so per event loop, and used on that loop only.
 *
 * <p>The lines of the requests that finish in one turn of the event loop go to the logger together, as one
 * event: the asynchronous appender's queue hand-off and the wake-up of its writer thread cost more than the rest
 * of a {@code GET /} (27 µs of 50 per request, measured), and under load many requests finish per turn. So each
 * line carries its own time and the {@code gather.access} appender prints messages as they are.
 */
public final class AccessLog {
  private static final Logger LOG = LoggerFactory.getLogger("gather.access");
  private static final String CUT_SHORT = " (connection closed before the response was complete)";
  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSS");
  /** A turn of the loop that finishes more requests than this hands them on in several events. */
  private static final int MAX_BATCH = 256;

  private final Vertx vertx;
  private final Ticker ticker;
  private final StringBuilder batch = new StringBuilder(8192);
  private int lines;

  public AccessLog(Vertx vertx, Ticker ticker) {
    this.vertx = vertx;
    this.ticker = ticker;
  }

  public void record(RoutingContext ctx) {
    long started = ticker.nanoTime();
    ctx.addEndHandler(done -> {
      if (LOG.isInfoEnabled()) {
        append(ctx, ticker.millisSince(started), done.succeeded());
      }
    });
    ctx.next();
  }

  private void append(RoutingContext ctx, long millis, boolean complete) {
    if (lines > 0) {
      batch.append('\n');
    }
    line(ctx, millis, complete);
    if (++lines == 1) {
      vertx.runOnContext(v -> flush()); // after the rest of this turn's work, whose lines join this one
    } else if (lines >= MAX_BATCH) {
      flush();
    }
  }

  private void flush() {
    if (lines > 0) {
      LOG.info(batch.toString());
      batch.setLength(0);
      lines = 0;
    }
  }

  private void line(RoutingContext ctx, long millis, boolean complete) {
    HttpServerRequest request = ctx.request();
    HttpServerResponse response = ctx.response();
    TIME.formatTo(LocalTime.now(), batch);
    batch.append(" INFO  [").append(Thread.currentThread().getName()).append("] gather.access - ")
        .append(RequestIds.of(ctx)).append(' ')
        .append(request.method().name()).append(' ')
        .append(request.uri()).append(' ')
        .append(response.getStatusCode()).append(' ')
        .append(response.bytesWritten()).append("B ")
        .append(millis).append("ms");
    if (!complete) {
      batch.append(CUT_SHORT);
    }
  }
}
