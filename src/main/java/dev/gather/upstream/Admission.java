package dev.gather.upstream;

import dev.gather.time.Ticker;
import java.util.Optional;

/**
 * Leave for one try at an upstream: a turn under maxConcurrent and, when the upstream has a circuit breaker,
 * its pass. {@link #end} gives the turn back and tells the breaker how the try went, as the failure's kind
 * says ({@link dev.gather.failure.FailureKind#breakerVerdict}): only the upstream's own failures count against
 * it (not a 4xx, not our own limits, not a try we cancelled). It also counts the try in the upstream's meters,
 * by outcome, so that an aggregate's call and a proxied request end their tries the same way.
 */
public final class Admission {
  private final CallLimiter.Permit permit;
  private final Optional<CircuitBreaker.Pass> pass;
  private final UpstreamMetrics metrics;
  private final Ticker ticker;
  private final long beganNanos;
  private boolean ended;

  Admission(CallLimiter.Permit permit, Optional<CircuitBreaker.Pass> pass, UpstreamMetrics metrics, Ticker ticker,
      long beganNanos) {
    this.permit = permit;
    this.pass = pass;
    this.metrics = metrics;
    this.ticker = ticker;
    this.beganNanos = beganNanos;
  }

  /** The try is over: {@code failure} is null for an answer the caller accepts. Later calls change nothing. */
  public void end(Throwable failure) {
    if (ended) {
      return;
    }
    ended = true;
    permit.release();
    pass.ifPresent(p -> report(p, failure));
    metrics.call(failure == null ? null : CallFailure.of(failure).kind(), ticker.nanoTime() - beganNanos);
  }

  private static void report(CircuitBreaker.Pass pass, Throwable failure) {
    if (failure == null) {
      pass.succeeded();
      return;
    }
    CallFailure f = CallFailure.of(failure);
    switch (f.kind().breakerVerdict(f.upstreamStatus())) {
      case FAILURE -> pass.failed();
      case ABANDONED -> pass.abandoned();
      default -> pass.succeeded();
    }
  }
}
