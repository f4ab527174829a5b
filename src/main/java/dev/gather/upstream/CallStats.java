package dev.gather.upstream;

/**
 * How a call was made, as the answer's {@code sources} entry tells it: tries sent (retries and a hedge
 * included), whether a hedge went out, whether the answer was shared with an identical call in flight, whether
 * an open circuit breaker refused it without calling, and whether it came from the cache ({@code cached}; then
 * {@code stale} when it was past its freshness, and {@code ageMs} its age; -1 when not cached).
 */
public record CallStats(int attempts, boolean hedged, boolean coalesced, boolean shortCircuited, boolean cached,
    boolean stale, long ageMs) {
  public static final CallStats ONE_TRY = new CallStats(1, false, false, false);

  public CallStats(int attempts, boolean hedged, boolean coalesced, boolean shortCircuited) {
    this(attempts, hedged, coalesced, shortCircuited, false, false, -1);
  }

  /** An answer served from the cache, {@code ageMs} old: no try made. */
  public static CallStats fromCache(boolean stale, long ageMs) {
    return new CallStats(0, false, false, false, true, stale, ageMs);
  }

  /** An answer served from the cache, {@code ageMs} old, in place of a call that failed after {@code failed}. */
  public static CallStats fromCache(boolean stale, long ageMs, Throwable failed) {
    if (!(failed instanceof CallFailure call)) {
      return fromCache(stale, ageMs);
    }
    CallStats tried = call.stats();
    return new CallStats(tried.attempts, tried.hedged, tried.coalesced, tried.shortCircuited, true, stale, ageMs);
  }

  /**
   * Several calls together (a forEach): tries added up, the rest if any of them; cached only when all of them
   * were (then as old as the oldest), stale when any was.
   */
  public CallStats plus(CallStats other) {
    boolean allCached = cached && other.cached;
    return new CallStats(attempts + other.attempts, hedged || other.hedged, coalesced || other.coalesced,
        shortCircuited || other.shortCircuited, allCached, stale || other.stale,
        allCached ? Math.max(ageMs, other.ageMs) : -1);
  }
}
