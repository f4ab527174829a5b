package dev.gather.trace;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.ReadWriteSpan;
import io.opentelemetry.sdk.trace.ReadableSpan;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.util.Collection;
import java.util.concurrent.atomic.LongAdder;

/**
 * What became of the spans gather recorded: ended, exported, or refused by the collector. The batch processor drops
 * spans without a word when its queue is full (a collector too slow, or more spans than it can send); ended minus
 * exported minus failed is what it dropped, or still holds. Shown at /metrics as
 * {@code gather_trace_spans_total{outcome}}, so an operator sampling 100 % sees whether the traces are whole.
 * The SDK's own counters go to its meter provider, which gather does not export.
 */
final class SpanCounts {
  private final LongAdder ended = new LongAdder();
  private final LongAdder exported = new LongAdder();
  private final LongAdder failed = new LongAdder();

  /** Counts each sampled span as it ends: every span the batch processor is handed. */
  SpanProcessor endCounter() {
    return new SpanProcessor() {
      @Override
      public void onStart(Context parentContext, ReadWriteSpan span) {}

      @Override
      public boolean isStartRequired() {
        return false;
      }

      @Override
      public void onEnd(ReadableSpan span) {
        ended.increment();
      }

      @Override
      public boolean isEndRequired() {
        return true;
      }
    };
  }

  /** {@code exporter}, counting what each export sent and whether the collector took it. */
  SpanExporter counting(SpanExporter exporter) {
    return new SpanExporter() {
      @Override
      public CompletableResultCode export(Collection<SpanData> spans) {
        int n = spans.size();
        CompletableResultCode result = exporter.export(spans);
        result.whenComplete(() -> (result.isSuccess() ? exported : failed).add(n));
        return result;
      }

      @Override
      public CompletableResultCode flush() {
        return exporter.flush();
      }

      @Override
      public CompletableResultCode shutdown() {
        return exporter.shutdown();
      }
    };
  }

  void register(MeterRegistry registry) {
    counter(registry, "ended", ended, "sampled spans that ended (all that were handed to the exporter's queue)");
    counter(registry, "exported", exported, "spans the collector accepted");
    counter(registry, "failed", failed, "spans sent but refused, or not sent in time (the export failed)");
  }

  private static void counter(MeterRegistry registry, String outcome, LongAdder count, String description) {
    FunctionCounter.builder("gather.trace.spans", count, LongAdder::sum)
        .tag("outcome", outcome)
        .description(description)
        .register(registry);
  }
}
