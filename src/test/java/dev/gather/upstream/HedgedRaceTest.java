package dev.gather.upstream;

import dev.gather.failure.FailureKind;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gather.time.ManualClock;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class HedgedRaceTest {
  private static final long HEDGE_AFTER_MS = 100;

  private final ManualClock clock = new ManualClock();
  private final Cancellation outer = new Cancellation();
  /** Every try the race started, in order: its answer to give, and its own cancellation. */
  private final List<Try> tries = new ArrayList<>();
  private final List<Long> stoppedLosersMs = new ArrayList<>();
  private boolean budgetAllows = true;
  private int hedgesAsked;

  private record Try(Promise<String> answer, Cancellation own) {}

  private HedgedRace<String> race() {
    return new HedgedRace<>(clock, clock, own -> {
      Try started = new Try(Promise.promise(), own);
      tries.add(started);
      return started.answer().future();
    }, () -> {
      hedgesAsked++;
      return budgetAllows;
    }, stoppedLosersMs::add, outer);
  }

  private static final CallFailure REFUSED = new CallFailure(FailureKind.CONNECT, null, "refused");
  private static final CallFailure RESET = new CallFailure(FailureKind.IO, null, "reset");

  @Test
  void noHedgeGoesWhenTheFirstTryAnswersBeforeTheDelay() {
    HedgedRace<String> race = race();
    Future<String> answer = race.run(HEDGE_AFTER_MS);

    clock.advance(HEDGE_AFTER_MS - 1);
    tries.get(0).answer().complete("first");
    clock.advance(HEDGE_AFTER_MS);

    assertEquals("first", answer.result());
    assertEquals(1, tries.size());
    assertFalse(race.hedged());
    assertEquals(0, hedgesAsked, "the budget is not touched");
  }

  @Test
  void aHedgeGoesWhenTheDelayPassesWithoutAnAnswer() {
    HedgedRace<String> race = race();
    Future<String> answer = race.run(HEDGE_AFTER_MS);

    clock.advance(HEDGE_AFTER_MS);

    assertEquals(2, tries.size());
    assertTrue(race.hedged());
    assertFalse(answer.isComplete());
  }

  @ParameterizedTest(name = "try {0} answers first, try {1} is cancelled")
  @CsvSource({"0, 1", "1, 0"})
  void theFirstAnswerWinsAndTheOtherTryIsCancelled(int winner, int loser) {
    Future<String> answer = race().run(HEDGE_AFTER_MS);
    clock.advance(HEDGE_AFTER_MS);

    tries.get(winner).answer().complete("try " + winner);

    assertEquals("try " + winner, answer.result());
    assertTrue(tries.get(loser).own().cancelled());
    assertFalse(tries.get(winner).own().cancelled());
  }

  @Test
  void aStoppedLoserTellsHowLongItHadRun() {
    race().run(HEDGE_AFTER_MS);
    clock.advance(HEDGE_AFTER_MS);
    clock.advance(30);

    tries.get(1).answer().complete("hedge");

    assertEquals(List.of(HEDGE_AFTER_MS + 30), stoppedLosersMs);
  }

  @ParameterizedTest(name = "try {0} fails, try {1} still answers")
  @CsvSource({"0, 1", "1, 0"})
  void oneFailedTryDoesNotLoseTheRaceWhileTheOtherRuns(int failing, int answering) {
    Future<String> answer = race().run(HEDGE_AFTER_MS);
    clock.advance(HEDGE_AFTER_MS);

    tries.get(failing).answer().fail(REFUSED);
    assertFalse(answer.isComplete());
    tries.get(answering).answer().complete("ok");

    assertEquals("ok", answer.result());
  }

  @Test
  void whenBothTriesFailTheRaceFailsWithTheLastFailure() {
    Future<String> answer = race().run(HEDGE_AFTER_MS);
    clock.advance(HEDGE_AFTER_MS);

    tries.get(0).answer().fail(REFUSED);
    tries.get(1).answer().fail(RESET);

    assertSame(RESET, answer.cause());
  }

  @Test
  void aTryThatFailsBeforeTheDelayLosesTheRaceWithoutAHedge() {
    Future<String> answer = race().run(HEDGE_AFTER_MS);

    tries.get(0).answer().fail(REFUSED);
    clock.advance(HEDGE_AFTER_MS);

    assertSame(REFUSED, answer.cause());
    assertEquals(1, tries.size());
    assertEquals(0, clock.pending(), "the hedge timer is cancelled");
  }

  @Test
  void noHedgeGoesWhenTheBudgetRefusesIt() {
    budgetAllows = false;
    HedgedRace<String> race = race();
    Future<String> answer = race.run(HEDGE_AFTER_MS);

    clock.advance(HEDGE_AFTER_MS * 5);
    tries.get(0).answer().complete("first");

    assertEquals(1, hedgesAsked);
    assertEquals(1, tries.size());
    assertFalse(race.hedged());
    assertEquals("first", answer.result());
  }

  @Test
  void theCallersCancellationStopsBothTries() {
    race().run(HEDGE_AFTER_MS);
    clock.advance(HEDGE_AFTER_MS);

    outer.cancel();

    assertTrue(tries.get(0).own().cancelled());
    assertTrue(tries.get(1).own().cancelled());
  }

  @Test
  void noHedgeGoesOnceTheCallerHasCancelled() {
    race().run(HEDGE_AFTER_MS);

    outer.cancel();
    clock.advance(HEDGE_AFTER_MS);

    assertTrue(tries.get(0).own().cancelled());
    assertEquals(1, tries.size());
    assertEquals(0, hedgesAsked);
  }
}
