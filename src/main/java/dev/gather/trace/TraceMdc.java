package dev.gather.trace;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import org.slf4j.MDC;
import org.slf4j.Marker;

/**
 * Puts the current trace and span ids in the MDC ({@code trace_id}, {@code span_id}) as each log call is made.
 * An event loop serves many requests in turn, so a thread's MDC set once per request would be wrong by the next
 * callback; the current span, though, is kept on the request's Vert.x context and is right wherever its
 * callbacks run. Logback asks a turbo filter before it makes the event, on the logging thread, which is the one
 * moment both are known. Installed only when tracing is on.
 */
final class TraceMdc extends TurboFilter {
  static final String TRACE_ID = "trace_id";
  static final String SPAN_ID = "span_id";

  @Override
  public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params, Throwable t) {
    // Not logger.isEnabledFor: that asks the turbo filters again.
    if (level == null || !level.isGreaterOrEqual(logger.getEffectiveLevel())) {
      return FilterReply.NEUTRAL;
    }
    SpanContext span = Span.current().getSpanContext();
    if (span.isValid()) {
      MDC.put(TRACE_ID, span.getTraceId());
      MDC.put(SPAN_ID, span.getSpanId());
    } else {
      MDC.remove(TRACE_ID);
      MDC.remove(SPAN_ID);
    }
    return FilterReply.NEUTRAL;
  }
}
