package dev.gather.logging;

import ch.qos.logback.classic.spi.ILoggingEvent;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.gather.config.LogConfig;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;
import java.io.IOException;
import java.util.Map;
import net.logstash.logback.composite.AbstractJsonProvider;

/**
 * The request id, trace id and span id of the request a JSON log line was written for, as top-level fields.
 *
 * <p>Logback's MDC is per thread, and an event loop serves many requests at once, so an id put there would land
 * on other requests' lines. Vert.x runs each server request (and the callbacks of the calls it makes) on a
 * context of its own, a duplicate of the loop's: the ids are kept in that context's local data and read from the
 * logging thread, which for gather's synchronous console appender is the thread that logs. An id that is in the
 * MDC already (a tracer that writes {@code trace_id} there) is left to the encoder's MDC fields.
 */
public final class RequestLogFields extends AbstractJsonProvider<ILoggingEvent> {
  public static final String REQUEST_ID = "request_id";
  public static final String TRACE_ID = "trace_id";
  public static final String SPAN_ID = "span_id";
  private static final String[] FIELDS = {REQUEST_ID, TRACE_ID, SPAN_ID};
  private static final String KEY_PREFIX = "gather.log.";

  /** Only with JSON lines do requests pay for keeping their ids. */
  public static boolean active() {
    return Logs.format() == LogConfig.Format.JSON;
  }

  /**
   * Ties {@code value} (under one of {@link #REQUEST_ID}, {@link #TRACE_ID}, {@link #SPAN_ID}) to the request
   * being handled on the current thread. Outside a request's own context it does nothing: the loop's shared
   * context would hand the id to every request on that loop.
   */
  public static void bind(String field, String value) {
    if (active() && Vertx.currentContext() instanceof ContextInternal context && context.isDuplicate()) {
      context.putLocal(KEY_PREFIX + field, value);
    }
  }

  @Override
  public void writeTo(JsonGenerator generator, ILoggingEvent event) throws IOException {
    Context current = Vertx.currentContext();
    if (!(current instanceof ContextInternal context) || !context.isDuplicate()) {
      return;
    }
    Map<String, String> mdc = event.getMDCPropertyMap();
    for (String field : FIELDS) {
      Object value = context.getLocal(KEY_PREFIX + field);
      if (value != null && (mdc == null || !mdc.containsKey(field))) {
        generator.writeStringField(field, value.toString());
      }
    }
  }
}
