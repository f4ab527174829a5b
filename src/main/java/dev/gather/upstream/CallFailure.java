package dev.gather.upstream;

import dev.gather.failure.Failure;
import dev.gather.failure.FailureKind;
import java.util.OptionalLong;

/**
 * A {@link Failure} of a call to an upstream, told with how the call got there ({@link CallStats}: tries,
 * hedge, coalesced, short-circuited), which the answer's {@code errors} and {@code sources} report.
 */
public final class CallFailure extends Failure {
  private final CallStats stats;

  public CallFailure(FailureKind kind, Integer upstreamStatus, String detail) {
    this(kind, upstreamStatus, detail, OptionalLong.empty(), CallStats.ONE_TRY);
  }

  CallFailure(FailureKind kind, Integer upstreamStatus, String detail, OptionalLong retryAfterMs, CallStats stats) {
    super(kind, upstreamStatus, detail, retryAfterMs);
    this.stats = stats;
  }

  /** Any failure as a call's: a {@link Failure} keeps its kind, detail and retry hint; anything else is {@code io}. */
  static CallFailure of(Throwable e) {
    if (e instanceof CallFailure call) {
      return call;
    }
    if (e instanceof Failure f) {
      return new CallFailure(f.kind(), f.upstreamStatus(), f.detail(), f.retryAfterMs(), CallStats.ONE_TRY);
    }
    return new CallFailure(FailureKind.IO, null, String.valueOf(e.getMessage()));
  }

  /** The same failure, told with how the call got there. */
  CallFailure with(CallStats stats) {
    return new CallFailure(kind(), upstreamStatus(), detail(), retryAfterMs(), stats);
  }

  /** The same failure with more said about it. */
  CallFailure explained(String more) {
    return new CallFailure(kind(), upstreamStatus(), detail() + more, retryAfterMs(), stats);
  }

  public CallStats stats() {
    return stats;
  }
}
