package dev.gather.time;

import io.vertx.core.Vertx;

/**
 * Delayed actions for the primitives that wait (limiter turns, shared calls, hedges, backoffs), so that their
 * tests can fire them by hand instead of sleeping. Called on an event loop, the action runs on that loop.
 */
@FunctionalInterface
public interface Timers {
  /** Runs {@code action} after {@code delayMs} (at least 1 ms); the returned handle cancels it, any number of times. */
  Scheduled schedule(long delayMs, Runnable action);

  /** A pending action. */
  @FunctionalInterface
  interface Scheduled {
    Scheduled NONE = () -> { };

    void cancel();
  }

  /**
   * Vert.x timers, on the calling context when there is one: to the millisecond, for a delay that is meant to
   * pass (a hedge, a backoff). For timeouts, which almost never fire, {@link #timeouts(Vertx)}.
   */
  static Timers of(Vertx vertx) {
    return (delayMs, action) -> {
      long id = vertx.setTimer(Math.max(1, delayMs), t -> action.run());
      return () -> vertx.cancelTimer(id);
    };
  }

  /** {@code vertx}'s one {@link TimerWheel}: cheap to set and cancel, up to one tick late, never early. */
  static Timers timeouts(Vertx vertx) {
    return TimerWheel.of(vertx);
  }
}
