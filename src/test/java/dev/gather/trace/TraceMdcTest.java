package dev.gather.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** A log line written while a span is current on the request's Vert.x context carries its ids. */
class TraceMdcTest {

  @Test
  void aLogLineInsideASpanCarriesItsTraceAndSpanIdsAndOneOutsideNone() throws Exception {
    LoggerContext logback = (LoggerContext) LoggerFactory.getILoggerFactory();
    TraceMdc filter = new TraceMdc();
    logback.addTurboFilter(filter);
    Logger logger = logback.getLogger("dev.gather.trace.TraceMdcTest");
    ListAppender<ILoggingEvent> lines = new ListAppender<>();
    lines.start();
    logger.addAppender(lines);
    Vertx vertx = Vertx.vertx();
    try (SdkTracerProvider provider = SdkTracerProvider.builder().build()) {
      Span span = provider.get("test").spanBuilder("request").startSpan();
      Promise<Void> logged = Promise.promise();
      vertx.runOnContext(v -> {
        Tracing.within(Context.root().with(span), () -> {
          logger.info("inside");
          return Future.succeededFuture();
        });
        logger.info("outside");
        logged.complete();
      });
      logged.future().await(5, TimeUnit.SECONDS);
      span.end();
      assertEquals(span.getSpanContext().getTraceId(), lines.list.get(0).getMDCPropertyMap().get("trace_id"));
      assertEquals(span.getSpanContext().getSpanId(), lines.list.get(0).getMDCPropertyMap().get("span_id"));
      assertEquals(null, lines.list.get(1).getMDCPropertyMap().get("trace_id"));
    } finally {
      logger.detachAppender(lines);
      logback.getTurboFilterList().remove(filter);
      vertx.close().await(5, TimeUnit.SECONDS);
    }
  }
}
