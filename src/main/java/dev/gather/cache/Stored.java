package dev.gather.cache;

import io.vertx.core.buffer.Buffer;

/**
 * One kept answer: its body as the upstream sent it (or a SQL source's rows as JSON), its status and
 * {@code Cache-Control}, when it was stored on this process's clock, for how long it is kept, and which source
 * stored it (whose {@code maxEntries} it counts against).
 */
record Stored(CacheKey key, String owner, Buffer body, int status, String cacheControl, Directives directives,
    long storedAtNanos, long keepMs) {

  long ageMs(long nowNanos) {
    return Math.max(0, (nowNanos - storedAtNanos) / 1_000_000);
  }

  /** Roughly what it holds in memory: the body, the key's text, and a fixed allowance for the objects. */
  int weight() {
    long weight = (long) body.length() + 2L * (key.path().length() + key.variant().length() + key.name().length())
        + (cacheControl == null ? 0 : 2L * cacheControl.length()) + 160;
    return (int) Math.min(Integer.MAX_VALUE, weight);
  }
}
