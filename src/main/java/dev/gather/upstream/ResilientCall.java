package dev.gather.upstream;

import dev.gather.config.UpstreamConfig;
import dev.gather.failure.FailureKind;
import dev.gather.time.Ticker;
import dev.gather.time.Timers;
import dev.gather.wire.HeaderNames;
import dev.gather.trace.Tracing;
import dev.gather.trace.TrySpans;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import java.util.OptionalLong;
import java.util.concurrent.ThreadLocalRandom;

/**
 * One call to an upstream as its config asks, inside one timeout: each try passes the circuit breaker and
 * takes a turn under maxConcurrent; a try that is slower than the hedge delay gets a twin, and the first answer
 * wins (the other is reset); a failed attempt is retried after a backoff with full jitter while the method is
 * idempotent, the failure's kind says it is worth another try, time is left and the retry budget allows. A
 * retry and a hedge go to a host this call has not tried yet when one is usable. Used on the caller's event loop.
 */
final class ResilientCall {
  private final Upstream upstream;
  private final UpstreamGuard guard;
  private final UpstreamConfig config;
  private final HttpMethod method;
  private final String uri;
  private final MultiMap headers;
  private final long deadlineNanos;
  private final Cancellation cancellation;
  private final Upstream.JsonBody body;
  private final Ticker ticker;
  private Buffer requestBody;
  /** The source's span, parent of each try's; null when tracing is off. */
  private Context trace;
  private int tries;
  private boolean hedged;
  private boolean shortCircuited;
  /** The hosts this call's tries went to: a retry or a hedge goes elsewhere if another host will do. */
  private final java.util.Set<HostPicker.Host> tried = new java.util.HashSet<>(4);

  ResilientCall(Upstream upstream, UpstreamGuard guard, HttpMethod method, String uri, MultiMap headers,
      long timeoutMs, Cancellation cancellation, Upstream.JsonBody body) {
    this.upstream = upstream;
    this.guard = guard;
    this.config = upstream.config();
    this.method = method;
    this.uri = uri;
    this.headers = headers;
    this.ticker = upstream.ticker();
    this.deadlineNanos = ticker.nanoTime() + timeoutMs * 1_000_000L;
    this.cancellation = cancellation;
    this.body = body;
  }

  /** The body every try sends; none unless set. */
  ResilientCall sending(Buffer requestBody) {
    this.requestBody = requestBody;
    return this;
  }

  /** Each try gets a span, child of {@code trace} (null: tracing is off, no span). */
  ResilientCall traced(Context trace) {
    this.trace = guard.trySpans == null ? null : trace;
    return this;
  }

  Future<Answer> run() {
    guard.budget.firstTry();
    return attempt(1)
        .map(answer -> answer.with(stats()))
        .recover(e -> Future.failedFuture(failure(e).with(stats())));
  }

  private CallStats stats() {
    return new CallStats(tries, hedged, false, shortCircuited);
  }

  private Future<Answer> attempt(int number) {
    return hedgedTry(number).recover(e -> {
      CallFailure failure = failure(e);
      if (!retryable(failure) || number > config.retry().retries() || cancellation.cancelled()) {
        return Future.failedFuture(failure);
      }
      long backoffMs = backoffMs(number);
      if (remainingMs() <= backoffMs) {
        return Future.failedFuture(failure.explained(" (no time left to retry)"));
      }
      if (!guard.budget.tryRetry()) {
        return Future.failedFuture(failure.explained(" (retry budget spent)"));
      }
      guard.metrics.retry();
      return delay(backoffMs).compose(v -> attempt(number + 1));
    });
  }

  private boolean retryable(CallFailure failure) {
    return config.retry().retries(method.name())
        && failure.kind().retried(failure.upstreamStatus(), config.retry().retryOn());
  }

  /** Exponential, capped, with full jitter: anywhere from 0 to base × 2^(n-1), so retries do not march in step. */
  private long backoffMs(int retry) {
    long ceiling = Math.min(config.retry().backoffMaxMs(), config.retry().backoffMs() * (1L << Math.min(20, retry - 1)));
    return ThreadLocalRandom.current().nextLong(ceiling + 1);
  }

  private Future<Void> delay(long ms) {
    if (ms <= 0) {
      return Future.succeededFuture();
    }
    Promise<Void> waited = Promise.promise();
    Timers.Scheduled timer = upstream.timers().schedule(ms, waited::tryComplete);
    Runnable unregister = cancellation.onCancel(() -> {
      timer.cancel();
      waited.tryFail(CallFailure.of(cancellation.reason()));
    });
    return waited.future().onComplete(done -> unregister.run());
  }

  private Future<Answer> hedgedTry(int attempt) {
    OptionalLong hedgeAfterMs = hedgeDelayMs();
    if (hedgeAfterMs.isEmpty() || !config.retry().methods().contains(method.name())) {
      return tracedTry(cancellation, attempt, false);
    }
    boolean[] launched = new boolean[1];
    return new HedgedRace<Answer>(guard.timers, guard.ticker, own -> {
          boolean twin = launched[0];
          launched[0] = true;
          return tracedTry(own, attempt, twin);
        }, this::mayHedge, this::recordStoppedLoser, cancellation).run(hedgeAfterMs.getAsLong());
  }

  /**
   * One try, in a span of its own when tracing is on: which attempt it is, whether it is a hedge's twin, the host,
   * the status and how it failed. The span is the try's HTTP client span: the traceparent the upstream sees names it.
   */
  private Future<Answer> tracedTry(Cancellation own, int attempt, boolean twin) {
    if (trace == null) {
      return oneTry(own, null);
    }
    Span span = guard.trySpans.start(trace, config.name(), method.name(), attempt, twin);
    return oneTry(own, span).onComplete(done -> {
      if (done.failed()) {
        CallFailure failure = failure(done.cause());
        if (failure.upstreamStatus() != null) {
          TrySpans.answered(span, failure.upstreamStatus());
        }
        span.setAttribute(Tracing.Keys.FAILURE_KIND, failure.kind().wireName());
        span.setStatus(StatusCode.ERROR, failure.detail());
      } else {
        TrySpans.answered(span, done.result().status());
      }
      span.end();
    });
  }

  private OptionalLong hedgeDelayMs() {
    if (config.hedge().afterMs().isPresent()) {
      return OptionalLong.of(config.hedge().afterMs().getAsInt());
    }
    return config.hedge().adaptive() ? guard.latency.p95() : OptionalLong.empty();
  }

  /** A hedge goes while time is left and the retry budget pays for it. */
  private boolean mayHedge() {
    if (remainingMs() <= 0 || !guard.budget.tryRetry()) {
      return false;
    }
    hedged = true;
    guard.metrics.hedge();
    return true;
  }

  /** A try stopped because its twin won would have taken at least this long; a p95 of winners only drifts down. */
  private void recordStoppedLoser(long ms) {
    if (config.hedge().adaptive()) {
      guard.latency.record(ms);
    }
  }

  /** One try; {@code span} (null when untraced) is told the host and goes upstream as the trace context. */
  private Future<Answer> oneTry(Cancellation own, Span span) {
    long began = ticker.nanoTime();
    long timeoutMs = Math.min(config.retry().tryTimeoutMs(), remainingMs());
    return upstream.admit(timeoutMs, tried)
        .onFailure(e -> shortCircuited |= e instanceof CallFailure f && f.kind() == FailureKind.CIRCUIT_OPEN)
        .compose(admission -> {
          tries++;
          tried.add(admission.host());
          MultiMap tryHeaders = headersForThisTry();
          if (span != null) {
            TrySpans.aimedAt(span, admission.host().host, admission.host().port);
            tryHeaders = guard.trySpans.inject(span, tryHeaders);
          }
          return upstream.exchange(admission, method, uri, tryHeaders, requestBody,
                  timeoutMs - ticker.millisSince(began), own)
              .compose(reply -> upstream.decode(reply, body))
              .onComplete(result -> admission.end(result.failed() ? result.cause() : null));
        })
        .onSuccess(answer -> {
          if (config.hedge().adaptive()) {
            guard.latency.record(ticker.millisSince(began));
          }
        });
  }

  /** The remaining budget header says what is left now, not what was left at the first try. */
  private MultiMap headersForThisTry() {
    if (tries <= 1 || !headers.contains(HeaderNames.DEADLINE_MS)) {
      return headers;
    }
    return MultiMap.caseInsensitiveMultiMap().addAll(headers)
        .set(HeaderNames.DEADLINE_MS, String.valueOf(remainingMs()));
  }

  private CallFailure failure(Throwable e) {
    return upstream.transportFailure(e);
  }

  private long remainingMs() {
    return (deadlineNanos - ticker.nanoTime()) / 1_000_000;
  }
}
