package dev.gather.time;

import io.netty.util.HashedWheelTimer;
import io.netty.util.Timeout;
import io.netty.util.TimerTask;
import io.vertx.core.Completable;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.shareddata.LocalMap;
import io.vertx.core.shareddata.Shareable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

/**
 * Coarse {@link Timers} for timeouts, which are set and cancelled on every request and call but almost never
 * fire. Vert.x's own timers put each one into the event loop's scheduled-task heap and the context's close
 * hooks, and take it out again on cancel; a hashed wheel (one per Vert.x, on one daemon thread) only appends
 * to a lock-free queue either way. The action still runs on the context that scheduled it, at least
 * {@code delayMs} later and at most about one tick more.
 *
 * <p>Once stopped (Vert.x closing), pending and new actions go to Vert.x's timers instead: Vert.x runs its close
 * hooks before it undeploys the verticles, whose draining requests still need their timeouts.
 */
public final class TimerWheel implements Timers, Shareable {
  /**
   * 10 ms: the shortest timeouts here are hundreds of ms, so firing up to 10 ms late changes nothing a client
   * sees, while the wheel's thread wakes only 100 times a second.
   */
  static final long TICK_MS = 10;
  private static final int TICKS_PER_WHEEL = 512; // one turn is ~5 s; longer timeouts wait whole turns
  private static final String MAP = TimerWheel.class.getName();

  private final Vertx vertx;
  private final HashedWheelTimer wheel;
  private final Timers fallback;
  private volatile boolean stopped;

  private TimerWheel(Vertx vertx, long tickMs) {
    this.vertx = vertx;
    this.fallback = Timers.of(vertx);
    this.wheel = new HashedWheelTimer(runnable -> {
      Thread thread = new Thread(runnable, "gather-timeouts");
      thread.setDaemon(true);
      return thread;
    }, tickMs, TimeUnit.MILLISECONDS, TICKS_PER_WHEEL, false);
  }

  /** The one wheel of {@code vertx}, made on first use and stopped when {@code vertx} closes. */
  public static TimerWheel of(Vertx vertx) {
    LocalMap<String, TimerWheel> wheels = vertx.sharedData().getLocalMap(MAP);
    return wheels.computeIfAbsent("wheel", key -> {
      TimerWheel wheel = new TimerWheel(vertx, TICK_MS);
      ((VertxInternal) vertx).addCloseHook(wheel::stop);
      return wheel;
    });
  }

  @Override
  public Scheduled schedule(long delayMs, Runnable action) {
    long ms = Math.max(1, delayMs);
    Entry entry = new Entry(vertx.getOrCreateContext(), action, ms);
    if (!stopped) {
      try {
        entry.timeout = wheel.newTimeout(entry, ms, TimeUnit.MILLISECONDS);
        return entry;
      } catch (IllegalStateException stoppedJustNow) {
        // fall through to Vert.x's timers
      }
    }
    entry.handOver(ms);
    return entry;
  }

  private void stop(Completable<Void> done) {
    stopped = true;
    long now = System.nanoTime();
    for (Timeout pending : wheel.stop()) {
      Entry entry = (Entry) pending.task();
      entry.handOver(Math.max(1, (entry.dueNanos - now + 999_999) / 1_000_000));
    }
    done.succeed();
  }

  /** Whether the wheel has stopped and Vert.x's timers do its work. */
  boolean stopped() {
    return stopped;
  }

  /** One action: it runs once, unless cancelled first; cancelling twice, or after it ran, does nothing. */
  private final class Entry implements TimerTask, Scheduled {
    private static final AtomicIntegerFieldUpdater<Entry> SETTLED =
        AtomicIntegerFieldUpdater.newUpdater(Entry.class, "settled");

    private final Context context;
    private final Runnable action;
    private final long dueNanos;
    private volatile int settled;
    private volatile Timeout timeout;
    private volatile Scheduled handedOver;

    Entry(Context context, Runnable action, long delayMs) {
      this.context = context;
      this.action = action;
      this.dueNanos = System.nanoTime() + delayMs * 1_000_000L;
    }

    /** On the wheel's thread: the action goes back to its own event loop. */
    @Override
    public void run(Timeout fired) {
      context.runOnContext(v -> fire());
    }

    private void fire() {
      if (SETTLED.compareAndSet(this, 0, 1)) {
        action.run();
      }
    }

    /** To a Vert.x timer, from whichever thread stops the wheel: the action still goes back to its own loop. */
    void handOver(long delayMs) {
      handedOver = fallback.schedule(delayMs, () -> context.runOnContext(v -> fire()));
      if (settled != 0) { // cancelled while being handed over
        handedOver.cancel();
      }
    }

    @Override
    public void cancel() {
      if (SETTLED.compareAndSet(this, 0, 1)) {
        Timeout onWheel = timeout;
        if (onWheel != null) {
          onWheel.cancel();
        }
        Scheduled onVertx = handedOver;
        if (onVertx != null) {
          onVertx.cancel();
        }
      }
    }
  }
}
