package dev.gather.fanout;

import dev.gather.failure.Failure;
import dev.gather.upstream.Answer;
import dev.gather.upstream.CallFailure;
import dev.gather.upstream.CallStats;

/**
 * What one source of an aggregate ended with, after {@code ms}: the {@link Answer} it got (selected, when it
 * has a select), or the {@link Failure} it ended with, or both when an optional source fell back to its
 * {@code fallback} (the answer holds that value) or when some of a forEach's items failed ({@link ItemFailures},
 * the answer holds the list); neither when its {@code when} skipped it.
 */
record SourceResult(String name, long ms, Answer answer, Failure failure) {

  /** The answer kept until the envelope is written, without the raw bytes only a cache needed. */
  static SourceResult answered(String name, long ms, Answer answer) {
    return new SourceResult(name, ms, answer.withoutBody(), null);
  }

  static SourceResult failed(String name, long ms, Failure failure) {
    return new SourceResult(name, ms, null, failure);
  }

  private static final CallStats NO_CALL = new CallStats(0, false, false, false);

  static SourceResult skipped(String name) {
    return new SourceResult(name, 0, null, null);
  }

  /** A forEach whose data has a null for each failed item; the item failures are reported. */
  static SourceResult partial(String name, long ms, ItemFailures items) {
    return new SourceResult(name, ms, items.answer(), items);
  }

  /** {@code failed}, with {@code data} (its fallback) for what reads it; the failure is still reported. */
  static SourceResult fellBack(SourceResult failed, Object data) {
    return new SourceResult(failed.name, failed.ms, new Answer(data, 0, failed.stats()), failed.failure);
  }

  /** Not an error: answered, or skipped. */
  boolean ok() {
    return failure == null;
  }

  boolean skipped() {
    return answer == null && failure == null;
  }

  boolean fellBack() {
    return answer != null && failure != null && !(failure instanceof ItemFailures);
  }

  /** Data for some of a forEach's items, failures for the others. */
  boolean partial() {
    return failure instanceof ItemFailures;
  }

  /** Whether there is data to read (or to put in {@code data}): answered or fallen back. */
  boolean hasData() {
    return answer != null;
  }

  Object data() {
    return answer == null ? null : answer.data();
  }

  /** The status the upstream answered with (200 for SQL); null when it did not answer. */
  Integer status() {
    if (failure != null) {
      return failure.upstreamStatus();
    }
    return answer == null ? null : Integer.valueOf(answer.status());
  }

  /** Served from the cache (a forEach: every item was). */
  boolean cached() {
    return failure == null && answer != null && answer.stats().cached();
  }

  /**
   * Served from the cache past its freshness (a forEach: some item was), while it is refreshed or because the
   * call failed.
   */
  boolean stale() {
    return failure == null && answer != null && answer.stats().stale();
  }

  /** How old the cached answer was; -1 when it was not cached. */
  long ageMs() {
    return cached() ? answer.stats().ageMs() : -1;
  }

  CallStats stats() {
    if (failure != null && !partial()) {
      return failure instanceof CallFailure call ? call.stats() : CallStats.ONE_TRY;
    }
    return answer == null ? NO_CALL : answer.stats();
  }
}
