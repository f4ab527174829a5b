package dev.gather.upstream;

import dev.gather.time.Ticker;
import java.util.Optional;

/**
 * Leave for one try at an upstream: a turn under maxConcurrent and, when the upstream has a circuit breaker,
 * its pass. {@link #end} gives the turn back and tells the breaker how the try went, as the failure's kind
 * says ({@link dev.gather.failure.FailureKind#breakerVerdict}): only the upstream's own failures count against
 * it (not a 4xx, not our own limits, not a try we cancelled). It also counts the try in the upstream's meters,
 * by outcome, so that an aggregate's call and a proxied request end their tries the same way, and tells the
 * upstream's {@link HostPicker} how the host it chose did.
 */
public final class Admission {
  private final CallLimiter.Permit permit;
  private final Optional<CircuitBreaker.Pass> pass;
  private final UpstreamMetrics metrics;
  private final Ticker ticker;
  private final long beganNanos;
  private final HostPicker hosts;
  private final HostPicker.Host host;
  private boolean ended;

  Admission(CallLimiter.Permit permit, Optional<CircuitBreaker.Pass> pass, UpstreamMetrics metrics, Ticker ticker,
      long beganNanos, HostPicker hosts, HostPicker.Host host) {
    this.permit = permit;
    this.pass = pass;
    this.metrics = metrics;
    this.ticker = ticker;
    this.beganNanos = beganNanos;
    this.hosts = hosts;
    this.host = host;
  }

  /** The host this try goes to. */
  HostPicker.Host host() {
    return host;
  }

  /** The chosen host's name or address, and its port: what a try's span names as its server. */
  public String hostName() {
    return host.host;
  }

  public int hostPort() {
    return host.port;
  }

  /** The try is over: {@code failure} is null for an answer the caller accepts. Later calls change nothing. */
  public void end(Throwable failure) {
    if (ended) {
      return;
    }
    ended = true;
    permit.release();
    pass.ifPresent(p -> report(p, failure));
    hosts.ended(host, outcome(failure));
    metrics.call(failure == null ? null : CallFailure.of(failure).kind(), ticker.nanoTime() - beganNanos);
  }

  /** The host is judged as the breaker judges the upstream: only its own failures count against it. */
  private static HostPicker.Outcome outcome(Throwable failure) {
    if (failure == null) {
      return HostPicker.Outcome.SUCCESS;
    }
    CallFailure f = CallFailure.of(failure);
    return switch (f.kind().breakerVerdict(f.upstreamStatus())) {
      case FAILURE -> HostPicker.Outcome.FAILURE;
      case ABANDONED -> HostPicker.Outcome.NEITHER;
      default -> HostPicker.Outcome.SUCCESS;
    };
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
