package dev.gather.upstream;

import dev.gather.time.Ticker;
import dev.gather.time.Timers;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.LongConsumer;

/**
 * A try and, if it has not answered within the hedge delay, its twin: the first answer wins and the other try
 * is cancelled (its request reset); the race fails only when every try it started has failed. Used on the
 * caller's event loop only: the tries, the hedge timer and the cancellation all complete there.
 */
final class HedgedRace<T> {
  private final Timers timers;
  private final Ticker ticker;
  private final Function<Cancellation, Future<T>> tryOnce;
  private final BooleanSupplier hedgeAllowed;
  private final LongConsumer stoppedLoserMs;
  private final Cancellation cancellation;
  private final Promise<T> winner = Promise.promise();
  private final List<Entrant> running = new ArrayList<>();
  private int outstanding;
  private boolean hedgeSettled;
  private boolean hedged;

  /** One try of the race: its own cancellation, and when it started. */
  private final class Entrant {
    final Cancellation own = new Cancellation();
    final long began = ticker.nanoTime();
    boolean finished;
  }

  /**
   * @param tryOnce starts one try, stopped when the cancellation it is given fires
   * @param hedgeAllowed asked once, when the delay has passed with no answer yet: true lets the hedge go (and
   *     has spent what a hedge costs, such as a retry from the budget)
   * @param stoppedLoserMs told, after a win, how long each try that was stopped unfinished had run: a lower
   *     bound of its answer time, for latency percentiles that would otherwise only see winners
   * @param cancellation the caller's: when it fires, every try stops
   */
  HedgedRace(Timers timers, Ticker ticker, Function<Cancellation, Future<T>> tryOnce, BooleanSupplier hedgeAllowed,
      LongConsumer stoppedLoserMs, Cancellation cancellation) {
    this.timers = timers;
    this.ticker = ticker;
    this.tryOnce = tryOnce;
    this.hedgeAllowed = hedgeAllowed;
    this.stoppedLoserMs = stoppedLoserMs;
    this.cancellation = cancellation;
  }

  /** Starts the first try, and its twin after {@code hedgeAfterMs} unless an answer came first. Call once. */
  Future<T> run(long hedgeAfterMs) {
    launch();
    Timers.Scheduled timer = timers.schedule(hedgeAfterMs, this::hedge);
    return winner.future().onComplete(done -> {
      timer.cancel();
      for (Entrant loser : running) {
        if (!loser.finished) {
          if (done.succeeded()) {
            stoppedLoserMs.accept(ticker.millisSince(loser.began));
          }
          loser.own.cancel();
        }
      }
    });
  }

  /** Whether a twin was sent. */
  boolean hedged() {
    return hedged;
  }

  private void launch() {
    Entrant entrant = new Entrant();
    Runnable unregister = cancellation.onCancel(() -> entrant.own.cancel(cancellation.reason()));
    running.add(entrant);
    outstanding++;
    tryOnce.apply(entrant.own).onComplete(result -> {
      entrant.finished = true;
      unregister.run();
      outstanding--;
      if (result.succeeded()) {
        winner.tryComplete(result.result());
      } else if (outstanding == 0) {
        hedgeSettled = true; // failed before any hedge, or both failed: the race is lost
        winner.tryFail(result.cause());
      }
    });
  }

  private void hedge() {
    if (winner.future().isComplete() || hedgeSettled) {
      return;
    }
    hedgeSettled = true;
    if (!cancellation.cancelled() && hedgeAllowed.getAsBoolean()) {
      hedged = true;
      launch();
    }
  }
}
