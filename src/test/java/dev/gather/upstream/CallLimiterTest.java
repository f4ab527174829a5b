package dev.gather.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gather.time.ManualClock;
import io.vertx.core.Future;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CallLimiterTest {
  private static final long WAIT_MS = 100;
  /** The waiter's own thread, when the test needs no hop: the hand-off runs at once. */
  private static final Executor HERE = Runnable::run;

  private final ManualClock clock = new ManualClock();

  private CallLimiter limiter(int maxConcurrent, int maxQueued) {
    return new CallLimiter("slow", maxConcurrent, maxQueued, clock);
  }

  @ParameterizedTest(name = "{0} in flight, {1} queued at most: {2} calls → {3} admitted, {4} waiting, {5} shed")
  @CsvSource({
      "2, 2, 1, 1, 0, 0",
      "2, 2, 2, 2, 0, 0",
      "2, 2, 3, 2, 1, 0",
      "2, 2, 4, 2, 2, 0",
      "2, 2, 6, 2, 2, 2",
      "1, 0, 3, 1, 0, 2",
  })
  void admitsUnderTheLimitQueuesPastItAndShedsWhenTheQueueIsFull(int maxConcurrent, int maxQueued, int calls,
      int admitted, int waiting, int shed) {
    CallLimiter limiter = limiter(maxConcurrent, maxQueued);

    List<Future<CallLimiter.Permit>> turns = IntStream.range(0, calls).mapToObj(i -> limiter.acquire(HERE, WAIT_MS))
        .toList();

    assertEquals(admitted, turns.stream().filter(Future::succeeded).count());
    assertEquals(waiting, turns.stream().filter(turn -> !turn.isComplete()).count());
    assertEquals(shed, turns.stream().filter(turn -> turn.failed() && refusal(turn).shed).count());
    assertEquals(admitted, limiter.inFlight());
    assertEquals(waiting, limiter.queued());
  }

  @Test
  void aReleasedTurnGoesToTheWaitersInTheOrderTheyCame() {
    CallLimiter limiter = limiter(1, 3);
    CallLimiter.Permit first = limiter.acquire(HERE, WAIT_MS).result();
    List<String> served = new ArrayList<>();
    List<Future<CallLimiter.Permit>> waiters = new ArrayList<>();
    for (String name : List.of("a", "b", "c")) {
      waiters.add(limiter.acquire(HERE, WAIT_MS).onSuccess(permit -> served.add(name)));
    }

    first.release();
    waiters.get(0).result().release();
    waiters.get(1).result().release();

    assertEquals(List.of("a", "b", "c"), served);
    assertEquals(1, limiter.inFlight());
  }

  @Test
  void aWaiterWithNoTurnWithinItsWaitFailsWithoutBeingShed() {
    CallLimiter limiter = limiter(1, 1);
    limiter.acquire(HERE, WAIT_MS);
    Future<CallLimiter.Permit> waiter = limiter.acquire(HERE, WAIT_MS);

    clock.advance(WAIT_MS - 1);
    assertFalse(waiter.isComplete(), "still waiting a millisecond before its wait ends");
    clock.advance(1);

    assertTrue(waiter.failed());
    assertFalse(refusal(waiter).shed);
    assertEquals(0, limiter.queued());
  }

  @Test
  void aWaiterServedInTimeIsNotFailedWhenItsWaitWouldHaveEnded() {
    CallLimiter limiter = limiter(1, 1);
    CallLimiter.Permit first = limiter.acquire(HERE, WAIT_MS).result();
    Future<CallLimiter.Permit> waiter = limiter.acquire(HERE, WAIT_MS);

    first.release();
    clock.advance(WAIT_MS);

    assertTrue(waiter.succeeded());
    assertEquals(0, clock.pending());
  }

  @Test
  void releasingAPermitTwiceGivesBackOneTurn() {
    CallLimiter limiter = limiter(2, 0);
    CallLimiter.Permit permit = limiter.acquire(HERE, WAIT_MS).result();
    limiter.acquire(HERE, WAIT_MS);

    permit.release();
    permit.release();

    assertEquals(1, limiter.inFlight());
  }

  @Test
  void aWaiterWhoseWaitEndedWhileItsTurnWasOnTheWayPassesTheTurnOn() {
    CallLimiter limiter = limiter(1, 2);
    Deque<Runnable> onTheWay = new ArrayDeque<>();
    CallLimiter.Permit first = limiter.acquire(HERE, WAIT_MS).result();
    Future<CallLimiter.Permit> late = limiter.acquire(onTheWay::add, WAIT_MS);
    clock.advance(WAIT_MS / 2);
    Future<CallLimiter.Permit> next = limiter.acquire(HERE, WAIT_MS);

    first.release(); // the turn is handed to the first waiter, not yet run on its thread
    clock.advance(WAIT_MS / 2); // ...whose wait ends before the hand-off arrives
    onTheWay.forEach(Runnable::run);

    assertTrue(late.failed(), "the late waiter has already been told it timed out");
    assertTrue(next.succeeded(), "the turn went on to the next waiter");
    assertEquals(1, limiter.inFlight());
  }

  @Test
  void theLastWaiterWhoseWaitEndedWhileItsTurnWasOnTheWayGivesTheTurnBack() {
    CallLimiter limiter = limiter(1, 1);
    Deque<Runnable> onTheWay = new ArrayDeque<>();
    CallLimiter.Permit first = limiter.acquire(HERE, WAIT_MS).result();
    Future<CallLimiter.Permit> late = limiter.acquire(onTheWay::add, WAIT_MS);

    first.release();
    clock.advance(WAIT_MS);
    onTheWay.forEach(Runnable::run);

    assertTrue(late.failed());
    assertEquals(0, limiter.inFlight());
  }

  private static CallLimiter.Refused refusal(Future<CallLimiter.Permit> turn) {
    return assertInstanceOf(CallLimiter.Refused.class, turn.cause());
  }
}
