package dev.gather.upstream;

/**
 * How a call was made, as the answer's {@code sources} entry tells it: tries sent (retries and a hedge
 * included), whether a hedge went out, whether the answer was shared with an identical call in flight, and
 * whether an open circuit breaker refused it without calling.
 */
public record CallStats(int attempts, boolean hedged, boolean coalesced, boolean shortCircuited) {
  public static final CallStats ONE_TRY = new CallStats(1, false, false, false);

  /** Several calls together (a forEach): tries added up, the rest if any of them. */
  public CallStats plus(CallStats other) {
    return new CallStats(attempts + other.attempts, hedged || other.hedged, coalesced || other.coalesced,
        shortCircuited || other.shortCircuited);
  }
}
