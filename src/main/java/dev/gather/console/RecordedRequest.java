package dev.gather.console;

import java.util.List;

/**
 * One aggregate request as the console keeps it: only small values copied out of the run (never the sources'
 * data), so the ring holds a few hundred bytes per request whatever the answers weighed.
 */
public record RecordedRequest(long seq, long atEpochMs, String aggregate, String requestId, int status,
    boolean complete, long ms, List<SourceTiming> sources) {}
