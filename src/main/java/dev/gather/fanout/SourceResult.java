package dev.gather.fanout;

import dev.gather.failure.Failure;
import dev.gather.upstream.Answer;
import dev.gather.upstream.CallFailure;
import dev.gather.upstream.CallStats;

/**
 * What one source of an aggregate ended with, after {@code ms}: the {@link Answer} it got, as it came, or the
 * {@link Failure} it ended with.
 */
record SourceResult(String name, long ms, Answer answer, Failure failure) {

  static SourceResult answered(String name, long ms, Answer answer) {
    return new SourceResult(name, ms, answer, null);
  }

  static SourceResult failed(String name, long ms, Failure failure) {
    return new SourceResult(name, ms, null, failure);
  }

  boolean ok() {
    return failure == null;
  }

  Object data() {
    return answer == null ? null : answer.data();
  }

  /** The status the upstream answered with (200 for SQL); null when it did not answer. */
  Integer status() {
    return ok() ? Integer.valueOf(answer.status()) : failure.upstreamStatus();
  }

  CallStats stats() {
    if (ok()) {
      return answer.stats();
    }
    return failure instanceof CallFailure call ? call.stats() : CallStats.ONE_TRY;
  }
}
