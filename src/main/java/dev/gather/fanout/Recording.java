package dev.gather.fanout;

import dev.gather.console.RequestRing;
import dev.gather.console.SourceTiming;
import dev.gather.upstream.CallStats;
import java.util.ArrayList;
import java.util.List;

/**
 * An aggregate request handed to the console's {@link RequestRing}: its sources' timings copied out of the results
 * (never their data). Runs only for requests made while a console page was open.
 */
final class Recording {
  private Recording() {}

  static void record(RequestRing ring, AggregateRun run, String aggregate, String requestId, int status,
      boolean complete, long nanos, List<SourceResult> results) {
    List<SourceTiming> sources = new ArrayList<>(results.size());
    for (SourceResult result : results) {
      CallStats stats = result.stats();
      sources.add(new SourceTiming(result.name(), run.startedMs(result.name()), result.ms(), result.status(),
          stats.attempts(), stats.hedged(), stats.coalesced(), stats.shortCircuited(), result.cached(), result.stale(),
          result.skipped(), result.failure() == null ? null : result.failure().kind().wireName(),
          result.failure() == null ? null : result.failure().detail()));
    }
    ring.record(System.currentTimeMillis(), aggregate, requestId, status, complete, nanos / 1_000_000, sources);
  }
}
