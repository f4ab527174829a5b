package dev.gather.upstream;

import dev.gather.config.UpstreamConfig;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.http.HttpMethod;
import java.util.OptionalLong;
import java.util.concurrent.ThreadLocalRandom;

/**
 * One call to an upstream as its config asks, inside one timeout: each try passes the circuit breaker and
 * takes a turn under maxConcurrent; a try that is slower than the hedge delay gets a twin, and the first answer
 * wins (the other is reset); a failed attempt is retried after a backoff with full jitter while the method is
 * idempotent, the failure retryable, time is left and the retry budget allows. Used on the caller's event loop.
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
  private int tries;
  private boolean hedged;
  private boolean shortCircuited;

  ResilientCall(Upstream upstream, UpstreamGuard guard, HttpMethod method, String uri, MultiMap headers,
      long timeoutMs, Cancellation cancellation) {
    this.upstream = upstream;
    this.guard = guard;
    this.config = upstream.config();
    this.method = method;
    this.uri = uri;
    this.headers = headers;
    this.deadlineNanos = System.nanoTime() + timeoutMs * 1_000_000L;
    this.cancellation = cancellation;
  }

  Future<Upstream.JsonAnswer> run() {
    guard.budget.firstTry();
    return attempt(1)
        .map(answer -> answer.with(stats()))
        .recover(e -> Future.failedFuture(failure(e).with(stats())));
  }

  private CallStats stats() {
    return new CallStats(tries, hedged, false, shortCircuited);
  }

  private Future<Upstream.JsonAnswer> attempt(int number) {
    return hedgedTry().recover(e -> {
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
    if (!config.retry().retries(method.name())) {
      return false;
    }
    return switch (failure.kind()) {
      case CallFailure.CONNECT, CallFailure.TIMEOUT, CallFailure.IO -> true;
      case CallFailure.STATUS -> config.retry().retryOn().contains(failure.status());
      default -> false;
    };
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
    long timer = upstream.vertx().setTimer(ms, t -> waited.tryComplete());
    Runnable unregister = cancellation.onCancel(() -> {
      upstream.vertx().cancelTimer(timer);
      waited.tryFail(new CallFailure(CallFailure.CANCELLED, null, "the request was cancelled"));
    });
    return waited.future().onComplete(done -> unregister.run());
  }

  private Future<Upstream.JsonAnswer> hedgedTry() {
    OptionalLong hedgeAfterMs = hedgeDelayMs();
    if (hedgeAfterMs.isEmpty() || !config.retry().methods().contains(method.name())) {
      return oneTry(cancellation);
    }
    return new HedgedRace<Upstream.JsonAnswer>(guard.timers, guard.ticker, this::oneTry, this::mayHedge,
        this::recordStoppedLoser, cancellation).run(hedgeAfterMs.getAsLong());
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
    guard.metrics.retry();
    return true;
  }

  /** A try stopped because its twin won would have taken at least this long; a p95 of winners only drifts down. */
  private void recordStoppedLoser(long ms) {
    if (config.hedge().adaptive()) {
      guard.latency.record(ms);
    }
  }

  private Future<Upstream.JsonAnswer> oneTry(Cancellation own) {
    long began = System.nanoTime();
    long timeoutMs = Math.min(config.retry().tryTimeoutMs(), remainingMs());
    return upstream.admit(timeoutMs)
        .onFailure(e -> shortCircuited |= e instanceof CallFailure f && f.kind().equals(CallFailure.CIRCUIT_OPEN))
        .compose(admission -> {
          tries++;
          return upstream.exchange(method, uri, headersForThisTry(), timeoutMs - millisSince(began), own)
              .compose(upstream::decode)
              .onComplete(result -> admission.end(result.failed() ? result.cause() : null));
        })
        .onComplete(result -> {
          Throwable failure = result.failed() ? result.cause() : null;
          upstream.record(failure, began);
          if (failure == null && config.hedge().adaptive()) {
            guard.latency.record(millisSince(began));
          }
        });
  }

  /** The remaining budget header says what is left now, not what was left at the first try. */
  private MultiMap headersForThisTry() {
    if (tries <= 1 || !headers.contains(Upstream.DEADLINE)) {
      return headers;
    }
    return MultiMap.caseInsensitiveMultiMap().addAll(headers).set(Upstream.DEADLINE, String.valueOf(remainingMs()));
  }

  private CallFailure failure(Throwable e) {
    return upstream.transportFailure(e);
  }

  private long remainingMs() {
    return (deadlineNanos - System.nanoTime()) / 1_000_000;
  }

  private static long millisSince(long began) {
    return (System.nanoTime() - began) / 1_000_000;
  }
}
