package dev.gather.time;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The wheel for timeouts, on a real Vert.x (it keeps real time on its own thread). Every wait below is for
 * something the wheel does, bounded by a generous limit; none is a fixed pause.
 */
class TimerWheelTest {
  private static final long LIMIT_S = 5;

  private final Vertx vertx = Vertx.vertx();
  private final Timers wheel = TimerWheel.of(vertx);

  @AfterEach
  void close() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(LIMIT_S, TimeUnit.SECONDS);
  }

  /** What an action saw when it ran: its context, and how long after it was scheduled. */
  private record Fired(Context context, long afterNanos) {}

  @Test
  void oneVertxHasOneWheel() {
    assertSame(wheel, TimerWheel.of(vertx));
  }

  @Test
  void anActionRunsOnTheContextThatScheduledItNoSoonerThanItsDelay() throws Exception {
    Context scheduler = vertx.getOrCreateContext();
    CompletableFuture<Fired> fired = new CompletableFuture<>();
    scheduler.runOnContext(v -> {
      long began = System.nanoTime();
      wheel.schedule(30, () -> fired.complete(new Fired(Vertx.currentContext(), System.nanoTime() - began)));
    });
    Fired seen = fired.get(LIMIT_S, TimeUnit.SECONDS);
    assertSame(scheduler, seen.context());
    assertTrue(seen.afterNanos() >= TimeUnit.MILLISECONDS.toNanos(30), "ran after " + seen.afterNanos() + " ns");
  }

  @Test
  void aCancelledActionNeverRuns() throws Exception {
    AtomicInteger cancelledRuns = new AtomicInteger();
    CompletableFuture<Integer> later = new CompletableFuture<>();
    vertx.getOrCreateContext().runOnContext(v -> {
      wheel.schedule(20, cancelledRuns::incrementAndGet).cancel();
      // Falls due well after the cancelled one would have, and runs after it on the same loop.
      wheel.schedule(20 + 5 * TimerWheel.TICK_MS, () -> later.complete(cancelledRuns.get()));
    });
    assertEquals(0, later.get(LIMIT_S, TimeUnit.SECONDS));
  }

  @Test
  void cancellingTwiceOrAfterTheActionRanIsHarmless() throws Exception {
    AtomicInteger runs = new AtomicInteger();
    CompletableFuture<Timers.Scheduled> ran = new CompletableFuture<>();
    Timers.Scheduled[] handle = new Timers.Scheduled[1];
    vertx.getOrCreateContext().runOnContext(v -> handle[0] = wheel.schedule(1, () -> {
      runs.incrementAndGet();
      ran.complete(handle[0]);
    }));
    Timers.Scheduled done = ran.get(LIMIT_S, TimeUnit.SECONDS);
    done.cancel();
    done.cancel();
    Timers.Scheduled twice = wheel.schedule(10_000, runs::incrementAndGet);
    twice.cancel();
    twice.cancel();
    assertEquals(1, runs.get());
  }

  /**
   * Vert.x runs its close hooks, which stop the wheel, before it undeploys the verticles; a verticle that drains
   * in its stop still has its timeouts: those pending when the wheel stopped, and new ones, run on Vert.x's timers.
   */
  @Test
  void timeoutsPendingOrSetWhileVertxClosesStillRunOnTheirContext() throws Exception {
    CompletableFuture<Boolean> pendingRanOnItsContext = new CompletableFuture<>();
    CompletableFuture<Boolean> newRanOnItsContext = new CompletableFuture<>();
    vertx.deployVerticle(new VerticleBase() {
      private final Promise<Void> pendingFired = Promise.promise();

      @Override
      public Future<?> start() {
        Context own = context;
        wheel.schedule(1000, () -> {
          pendingRanOnItsContext.complete(Vertx.currentContext() == own);
          pendingFired.complete();
        });
        return Future.succeededFuture();
      }

      @Override
      public Future<?> stop() {
        Context own = context;
        Promise<Void> newFired = Promise.promise();
        wheel.schedule(20, () -> {
          newRanOnItsContext.complete(Vertx.currentContext() == own);
          newFired.complete();
        });
        return Future.all(pendingFired.future(), newFired.future());
      }
    }).toCompletionStage().toCompletableFuture().get(LIMIT_S, TimeUnit.SECONDS);
    assertFalse(((TimerWheel) wheel).stopped());

    vertx.close().toCompletionStage().toCompletableFuture().get(LIMIT_S, TimeUnit.SECONDS);

    assertTrue(((TimerWheel) wheel).stopped());
    assertTrue(pendingRanOnItsContext.get(LIMIT_S, TimeUnit.SECONDS), "the pending one, on its verticle's context");
    assertTrue(newRanOnItsContext.get(LIMIT_S, TimeUnit.SECONDS), "the new one, on its verticle's context");
  }
}
