package dev.gather.time;

import java.util.PriorityQueue;

/**
 * A clock a test drives by hand: time stands still until {@link #advance} moves it, and the actions scheduled on
 * it run then, in the order they fall due (in the order scheduled when they fall due together), each seeing the
 * time at which it fell due. Single-threaded, as the tests that use it.
 */
public final class ManualClock implements Ticker, Timers {
  private record Due(long atNanos, long order, Runnable action, boolean[] cancelled) {}

  private final PriorityQueue<Due> due = new PriorityQueue<>((a, b) -> a.atNanos != b.atNanos
      ? Long.compare(a.atNanos, b.atNanos) : Long.compare(a.order, b.order));
  private long nanos;
  private long scheduled;

  /** Starts at an arbitrary reading, as {@link System#nanoTime()} does; here a negative one, to catch sign bugs. */
  public ManualClock() {
    this.nanos = -5_000_000_000L;
  }

  @Override
  public long nanoTime() {
    return nanos;
  }

  @Override
  public Scheduled schedule(long delayMs, Runnable action) {
    boolean[] cancelled = new boolean[1];
    due.add(new Due(nanos + Math.max(1, delayMs) * 1_000_000L, scheduled++, action, cancelled));
    return () -> cancelled[0] = true;
  }

  /** Moves time on by {@code ms}, running every action that falls due on the way. */
  public void advance(long ms) {
    long target = nanos + ms * 1_000_000L;
    while (!due.isEmpty() && due.peek().atNanos <= target) {
      Due next = due.poll();
      nanos = next.atNanos;
      if (!next.cancelled[0]) {
        next.action.run();
      }
    }
    nanos = target;
  }

  /** Actions scheduled and neither run nor cancelled yet. */
  public long pending() {
    return due.stream().filter(d -> !d.cancelled[0]).count();
  }
}
