package dev.gather.upstream;

import dev.gather.failure.FailureKind;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gather.time.ManualClock;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class CoalescerTest {
  private static final long TIMEOUT_MS = 100;
  private static final Executor HERE = Runnable::run;

  private final ManualClock clock = new ManualClock();
  private final Coalescer coalescer = new Coalescer(clock);
  /** Every call actually made: its answer to give, and the cancellation it was given. */
  private final List<Made> made = new ArrayList<>();
  private int joins;

  private record Made(Promise<String> answer, Cancellation shared) {}

  /** How a caller stops waiting. */
  enum Leaving {
    CANCELLED(FailureKind.CANCELLED, (caller, clock) -> caller.cancellation.cancel()),
    TIMED_OUT(FailureKind.TIMEOUT, (caller, clock) -> clock.advance(TIMEOUT_MS));

    final FailureKind kind;
    final BiConsumer<Caller, ManualClock> leave;

    Leaving(FailureKind kind, BiConsumer<Caller, ManualClock> leave) {
      this.kind = kind;
      this.leave = leave;
    }
  }

  private record Caller(Cancellation cancellation, Future<String> answer) {}

  private Caller call(String key) {
    return call(key, TIMEOUT_MS);
  }

  private Caller call(String key, long timeoutMs) {
    Cancellation cancellation = new Cancellation();
    Future<String> answer = coalescer.share(key, HERE, cancellation, timeoutMs, shared -> {
      Made call = new Made(Promise.promise(), shared);
      made.add(call);
      return call.answer().future();
    }, () -> joins++);
    return new Caller(cancellation, answer);
  }

  @Test
  void identicalCallsInFlightShareOneCallAndItsAnswer() {
    Caller first = call("/users/1");
    Caller second = call("/users/1");

    made.get(0).answer().complete("ada");

    assertEquals(1, made.size());
    assertEquals(1, joins);
    assertEquals("ada", first.answer().result());
    assertEquals("ada", second.answer().result());
  }

  @Test
  void callsUnderDifferentKeysAreMadeApart() {
    call("/users/1");
    call("/users/2");

    assertEquals(2, made.size());
    assertEquals(0, joins);
  }

  @Test
  void aFailureOfTheSharedCallReachesEveryCaller() {
    Caller first = call("/users/1");
    Caller second = call("/users/1");
    CallFailure failure = new CallFailure(FailureKind.CONNECT, null, "refused");

    made.get(0).answer().fail(failure);

    assertSame(failure, first.answer().cause());
    assertSame(failure, second.answer().cause());
  }

  @ParameterizedTest
  @EnumSource(Leaving.class)
  void aCallerThatLeavesStopsWaitingWhileTheOthersGetTheAnswer(Leaving leaving) {
    Caller staying = call("/users/1", TIMEOUT_MS * 10);
    Caller leaver = call("/users/1");

    leaving.leave.accept(leaver, clock);

    assertEquals(leaving.kind, assertInstanceOf(CallFailure.class, leaver.answer().cause()).kind());
    assertFalse(made.get(0).shared().cancelled(), "someone still waits for the shared call");
    made.get(0).answer().complete("ada");
    assertEquals("ada", staying.answer().result());
  }

  @ParameterizedTest
  @EnumSource(Leaving.class)
  void theSharedCallIsCancelledOnlyWhenEveryCallerHasLeft(Leaving leaving) {
    Caller first = call("/users/1", TIMEOUT_MS * 10);
    Caller second = call("/users/1");

    leaving.leave.accept(second, clock);
    assertFalse(made.get(0).shared().cancelled());
    first.cancellation().cancel();

    assertTrue(made.get(0).shared().cancelled());
  }

  @Test
  void aFinishedCallIsNotJoined() {
    Caller first = call("/users/1");
    made.get(0).answer().complete("ada");

    Caller later = call("/users/1");

    assertEquals(2, made.size());
    assertEquals(0, joins);
    assertFalse(later.answer().isComplete(), "it waits for its own call, not the finished one");
    assertEquals("ada", first.answer().result());
  }

  @Test
  void aCallerAnsweredInTimeLeavesNoTimerBehind() {
    call("/users/1");
    call("/users/1");

    made.get(0).answer().complete("ada");

    assertEquals(0, clock.pending());
  }
}
