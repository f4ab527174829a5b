package dev.gather.upstream;

import java.util.Optional;

/**
 * Leave for one try at an upstream: a turn under maxConcurrent and, when the upstream has a circuit breaker,
 * its pass. {@link #end} gives the turn back and tells the breaker how the try went; only the upstream's own
 * failures count against it (not a 4xx, not our own limits, not a try we cancelled).
 */
public final class Admission {
  private final CallLimiter.Permit permit;
  private final Optional<CircuitBreaker.Pass> pass;
  private boolean ended;

  Admission(CallLimiter.Permit permit, Optional<CircuitBreaker.Pass> pass) {
    this.permit = permit;
    this.pass = pass;
  }

  /** The try is over: {@code failure} is null for an answer the caller accepts. Later calls change nothing. */
  public void end(Throwable failure) {
    if (ended) {
      return;
    }
    ended = true;
    permit.release();
    pass.ifPresent(p -> report(p, failure));
  }

  private static void report(CircuitBreaker.Pass pass, Throwable failure) {
    if (failure == null) {
      pass.succeeded();
      return;
    }
    CallFailure f = failure instanceof CallFailure cf ? cf : null;
    switch (f == null ? CallFailure.IO : f.kind()) {
      case CallFailure.CONNECT, CallFailure.TIMEOUT, CallFailure.IO -> pass.failed();
      case CallFailure.STATUS -> {
        if (f.status() != null && f.status() >= 500) {
          pass.failed();
        } else {
          pass.succeeded();
        }
      }
      case CallFailure.CANCELLED, CallFailure.SHED -> pass.abandoned();
      default -> pass.succeeded();
    }
  }
}
