package dev.gather.upstream;

import dev.gather.time.Timers;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * How many calls one upstream may have in flight from this process ({@code maxConcurrent}) and how many may
 * wait for a turn ({@code maxQueued}). A call past both is refused at once, so that a slow upstream costs its
 * callers a fast, honest "shed" instead of an ever longer queue. Shared by every HTTP verticle instance, so
 * it is thread-safe; a waiting call is resumed on its own event loop.
 */
public final class CallLimiter {
  /** Why a call did not get a turn. */
  static final class Refused extends RuntimeException {
    final boolean shed;

    private Refused(boolean shed, String message) {
      super(message, null, false, false);
      this.shed = shed;
    }
  }

  /** A turn to call the upstream. Releasing it twice gives back one turn, so every path may release it. */
  public final class Permit {
    private final AtomicBoolean released = new AtomicBoolean();

    public void release() {
      if (released.compareAndSet(false, true)) {
        giveBack();
      }
    }
  }

  private record Waiter(Executor resumeOn, Promise<Permit> promise) {}

  private final String upstream;
  private final int maxConcurrent;
  private final int maxQueued;
  private final Timers timers;
  private final Deque<Waiter> waiting = new ArrayDeque<>();
  private int inFlight;

  CallLimiter(String upstream, int maxConcurrent, int maxQueued, Timers timers) {
    this.upstream = upstream;
    this.maxConcurrent = maxConcurrent;
    this.maxQueued = maxQueued;
    this.timers = timers;
  }

  /** {@link #acquire(Executor, long)} for a caller on {@code context}, resumed there. */
  Future<Permit> acquire(Context context, long waitMs) {
    return acquire(task -> context.runOnContext(v -> task.run()), waitMs);
  }

  /**
   * A turn now, a turn once an earlier call finishes (handed over through {@code resumeOn}, the caller's own
   * thread), or a failure: {@link Refused#shed} when the queue is full, otherwise when no turn came within
   * {@code waitMs}. Called on the caller's thread, where the wait's timer then fires.
   */
  Future<Permit> acquire(Executor resumeOn, long waitMs) {
    Waiter waiter;
    synchronized (this) {
      if (inFlight < maxConcurrent) {
        inFlight++;
        return Future.succeededFuture(new Permit());
      }
      if (waiting.size() >= maxQueued) {
        return Future.failedFuture(new Refused(true, upstream + " already has " + maxConcurrent
            + " calls in flight and " + maxQueued + " waiting (maxConcurrent, maxQueued)"));
      }
      waiter = new Waiter(resumeOn, Promise.promise());
      waiting.addLast(waiter);
    }
    Timers.Scheduled timer = timers.schedule(waitMs, () -> {
      withdraw(waiter); // a turn already handed to it and still on its way is passed on when it arrives
      waiter.promise().tryFail(new Refused(false, upstream + " gave no call slot within " + waitMs
          + " ms (" + maxConcurrent + " calls in flight)"));
    });
    return waiter.promise().future().onComplete(done -> timer.cancel());
  }

  synchronized int inFlight() {
    return inFlight;
  }

  synchronized int queued() {
    return waiting.size();
  }

  private synchronized void withdraw(Waiter waiter) {
    waiting.remove(waiter);
  }

  /** Hands the turn straight to the oldest waiter, if any, so that it cannot be overtaken. */
  private void giveBack() {
    Waiter next;
    synchronized (this) {
      next = waiting.pollFirst();
      if (next == null) {
        inFlight--;
        return;
      }
    }
    Waiter handed = next;
    handed.resumeOn().execute(() -> {
      if (!handed.promise().tryComplete(new Permit())) {
        giveBack(); // its wait ended just as the turn came: pass the turn on
      }
    });
  }
}
