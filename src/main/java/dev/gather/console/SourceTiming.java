package dev.gather.console;

/**
 * One source of a recorded request, as its waterfall bar: when it started after the request began, how long it
 * took, and how the call went. {@code failure} is the failure kind's wire name and {@code detail} its client-safe
 * detail (the same the answer's {@code errors} shows), both null when it did not fail.
 */
public record SourceTiming(String name, long startMs, long ms, Integer status, int attempts, boolean hedged,
    boolean coalesced, boolean shortCircuited, boolean cached, boolean stale, boolean skipped, String failure,
    String detail) {}
