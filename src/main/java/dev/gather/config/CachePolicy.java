package dev.gather.config;

/**
 * How one source caches, its upstream's default and its own {@code cache} merged: an answer is fresh for
 * {@code ttlMs} (or the upstream's {@code max-age}); for {@code staleWhileRevalidateMs} more it is still served at
 * once while a call refreshes it; for {@code staleIfErrorMs} past freshness it is served when a call fails. At most
 * {@code maxEntries} answers of the source are kept. With {@code override} the upstream's {@code Cache-Control} is
 * ignored (no-store and private included) and these numbers alone decide.
 */
public record CachePolicy(long ttlMs, long staleWhileRevalidateMs, long staleIfErrorMs, int maxEntries,
    boolean override) {}
