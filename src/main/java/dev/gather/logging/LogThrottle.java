package dev.gather.logging;

import dev.gather.time.Ticker;
import java.util.concurrent.atomic.AtomicLong;

/**
 * At most one log line per period for a failure that may repeat thousands of times a second (a store that is down,
 * a name that does not resolve), each line telling how many happened since the one before: the log stays readable
 * and its volume bounded, and nothing is hidden. Thread-safe; the first occurrence is always told.
 */
public final class LogThrottle {
  private final long everyNanos;
  private final Ticker ticker;
  private final AtomicLong lastLogged = new AtomicLong();
  private final AtomicLong unlogged = new AtomicLong();
  private volatile boolean everLogged;

  public LogThrottle(long everyMs, Ticker ticker) {
    this.everyNanos = everyMs * 1_000_000L;
    this.ticker = ticker;
  }

  /** Counts one occurrence; returns how many to tell now (this one included), or 0 when this one stays quiet. */
  public long occurred() {
    long now = ticker.nanoTime();
    long last = lastLogged.get();
    long count = unlogged.incrementAndGet();
    if ((!everLogged || now - last >= everyNanos) && lastLogged.compareAndSet(last, now)) {
      everLogged = true;
      unlogged.addAndGet(-count);
      return count;
    }
    return 0;
  }
}
