package dev.gather.http;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import dev.gather.config.LogConfig;
import dev.gather.logging.RequestLogFields;
import dev.gather.time.Ticker;
import dev.gather.trace.Tracing;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.net.SocketAddress;
import io.vertx.ext.web.RoutingContext;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One line per finished request: time, id, method, path, status, bytes sent and time taken. One instance per
 * HTTP verticle, so per event loop, and used on that loop only.
 *
 * <p>Lines are collected on the loop and go to the logger together, as one event every {@link #FLUSH_MS} (or
 * every {@link #MAX_BATCH} lines): the asynchronous appender's queue hand-off and the wake-up of its writer thread
 * per line cost more than the rest of a request (measured: {@code GET /} 50 µs with a line each, 23 µs without; a
 * 3-call aggregate 234 µs against 152). So each line carries its own time, and the {@code gather.access}
 * appender prints messages as they are. Lines reach the log at most {@link #FLUSH_MS} late; {@link #flush} at
 * shutdown writes what is left.
 *
 * <p>With {@code log.format: json} each line is one JSON object, written here rather than by the JSON encoder
 * for the same reason (the encoder sees one event, not one request): the fields and the time format are the
 * encoder's ({@code logback.xml}), plus the request's {@code method}, {@code route} (the template it matched),
 * {@code path}, {@code status}, {@code bytes}, {@code ms}, {@code client} and, on an aggregate's route,
 * {@code aggregate}. A tracer puts the request's ids in with {@link #trace}.
 */
public final class AccessLog {
  private static final Logger LOG = LoggerFactory.getLogger("gather.access");
  private static final String CUT_SHORT = " (connection closed before the response was complete)";
  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSS");
  /** logback.xml's timestampPattern and timeZone for JSON lines. */
  private static final DateTimeFormatter JSON_TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);
  private static final JsonStringEncoder JSON = JsonStringEncoder.getInstance();
  private static final String TRACE_KEY = "gather.accessLog.trace";
  static final long FLUSH_MS = 100;
  /** Bounds what a burst keeps in memory between two flushes. */
  static final int MAX_BATCH = 512;

  private final Ticker ticker;
  private final boolean json;
  private final StringBuilder batch = new StringBuilder(8192);
  private int lines;

  /** Call on the verticle's own context (its {@code start}): the flush timer runs there, and stops with it. */
  public AccessLog(Vertx vertx, Ticker ticker) {
    this(vertx, ticker, LogConfig.Format.TEXT);
  }

  public AccessLog(Vertx vertx, Ticker ticker, LogConfig.Format format) {
    this.ticker = ticker;
    this.json = format == LogConfig.Format.JSON;
    vertx.setPeriodic(FLUSH_MS, id -> flush());
  }

  /** The trace and span of a request, for its access line (JSON format only). */
  public static void trace(RoutingContext ctx, String traceId, String spanId) {
    ctx.put(TRACE_KEY, new String[] {traceId, spanId});
  }

  public void record(RoutingContext ctx) {
    long started = ticker.nanoTime();
    if (json) {
      // Here, on the request's own context, the current span is the request's server span (when traced).
      String traceId = Tracing.traceId();
      if (traceId != null) {
        trace(ctx, traceId, Tracing.spanId());
      }
    }
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
    if (json) {
      jsonLine(ctx, millis, complete);
    } else {
      line(ctx, millis, complete);
    }
    if (++lines >= MAX_BATCH) {
      flush();
    }
  }

  /** Hands the lines collected so far to the logger; on the loop that records them. */
  public void flush() {
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
    SocketAddress client = request.remoteAddress();
    if (client != null) {
      batch.append(" client=").append(client.hostAddress());
    }
    String aggregate = RequestMeter.aggregate(ctx);
    if (aggregate != null) {
      batch.append(" aggregate=").append(aggregate);
    }
    if (!complete) {
      batch.append(CUT_SHORT);
    }
  }

  private void jsonLine(RoutingContext ctx, long millis, boolean complete) {
    HttpServerRequest request = ctx.request();
    HttpServerResponse response = ctx.response();
    String method = request.method().name();
    int status = response.getStatusCode();
    batch.append("{\"time\":\"");
    JSON_TIME.formatTo(Instant.now(), batch);
    batch.append("\",\"level\":\"INFO\",\"logger\":\"gather.access\",\"thread\":");
    string(Thread.currentThread().getName());
    batch.append(",\"message\":");
    string(method + ' ' + request.uri() + ' ' + status + (complete ? "" : CUT_SHORT));
    field(RequestLogFields.REQUEST_ID, RequestIds.of(ctx));
    String[] trace = ctx.get(TRACE_KEY);
    if (trace != null) {
      field(RequestLogFields.TRACE_ID, trace[0]);
      field(RequestLogFields.SPAN_ID, trace[1]);
    }
    field("method", method);
    String route = RequestMeter.route(ctx);
    field("route", route == null || route.isEmpty() ? null : route);
    field("path", request.path());
    batch.append(",\"status\":").append(status)
        .append(",\"bytes\":").append(response.bytesWritten())
        .append(",\"ms\":").append(millis);
    SocketAddress client = request.remoteAddress();
    field("client", client == null ? null : client.hostAddress());
    field("aggregate", RequestMeter.aggregate(ctx));
    if (!complete) {
      batch.append(",\"complete\":false");
    }
    batch.append('}');
  }

  /** A field with a string value; none when the value is absent. */
  private void field(String name, String value) {
    if (value != null) {
      batch.append(",\"").append(name).append("\":");
      string(value);
    }
  }

  // Paths and ids come from clients: Jackson's escaping, not a hand-made one, makes them safe JSON strings.
  private void string(String value) {
    batch.append('"');
    JSON.quoteAsString(value, batch);
    batch.append('"');
  }
}
