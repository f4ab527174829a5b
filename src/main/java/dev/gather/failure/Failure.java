package dev.gather.failure;

import java.util.OptionalLong;

/**
 * A failure told in gather's own words: its {@link FailureKind}, a detail safe to show a client (never SQL, never
 * a stack trace), the status an upstream answered with when it answered at all, and, when the failing part
 * knows it, how long until a retry is worth it (an open breaker knows its next probe). No stack trace is taken:
 * these are expected outcomes on hot paths, not bugs.
 */
public class Failure extends RuntimeException {
  private final FailureKind kind;
  private final Integer upstreamStatus;
  private final OptionalLong retryAfterMs;

  public Failure(FailureKind kind, String detail) {
    this(kind, null, detail, OptionalLong.empty());
  }

  public Failure(FailureKind kind, Integer upstreamStatus, String detail, OptionalLong retryAfterMs) {
    super(detail, null, false, false);
    this.kind = kind;
    this.upstreamStatus = upstreamStatus;
    this.retryAfterMs = retryAfterMs;
  }

  public FailureKind kind() {
    return kind;
  }

  /** The status the upstream answered with, or null when it did not answer. */
  public Integer upstreamStatus() {
    return upstreamStatus;
  }

  /** When a retry may succeed, if the failing part knows; empty when it does not (then the edge says nothing precise). */
  public OptionalLong retryAfterMs() {
    return retryAfterMs;
  }

  /** The detail, safe to show a client. */
  public String detail() {
    return getMessage();
  }
}
