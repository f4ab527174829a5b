package dev.gather.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gather.time.ManualClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RetryBudgetTest {
  private final ManualClock clock = new ManualClock();

  private static int retriesLeft(RetryBudget budget) {
    int granted = 0;
    while (granted < 10_000 && budget.tryRetry()) {
      granted++;
    }
    return granted;
  }

  private static void firstTries(RetryBudget budget, int count) {
    for (int i = 0; i < count; i++) {
      budget.firstTry();
    }
  }

  @ParameterizedTest(name = "ratio {0}, {1}/s minimum, {2} first tries → {3} retries in the window")
  @CsvSource({
      "0.0, 0, 100, 0",
      "0.0, 1,   0, 10",
      "0.0, 3,  50, 30",
      "0.2, 0, 100, 20",
      "0.5, 0,  10, 5",
      "0.2, 1, 100, 30",
  })
  void allowsTheMinimumPerSecondPlusTheRatioOfFirstTries(double ratio, int minPerSecond, int tries,
      int retries) {
    RetryBudget budget = new RetryBudget(ratio, minPerSecond, clock);

    firstTries(budget, tries);

    assertEquals(retries, retriesLeft(budget));
  }

  @Test
  void spentRetriesAreEarnedBackOnceTheWindowHasSlidPastThem() {
    RetryBudget budget = new RetryBudget(0.0, 1, clock);
    retriesLeft(budget);
    assertFalse(budget.tryRetry());

    clock.advance(RetryBudget.WINDOW_MS);

    assertEquals(10, retriesLeft(budget));
  }

  @Test
  void firstTriesOlderThanTheWindowEarnNothing() {
    RetryBudget budget = new RetryBudget(0.5, 0, clock);
    firstTries(budget, 10);

    clock.advance(RetryBudget.WINDOW_MS);

    assertFalse(budget.tryRetry());
  }

  @Test
  void firstTriesWithinTheWindowStillCount() {
    RetryBudget budget = new RetryBudget(0.5, 0, clock);
    firstTries(budget, 2);

    clock.advance(RetryBudget.WINDOW_MS / 2);

    assertTrue(budget.tryRetry());
    assertFalse(budget.tryRetry());
  }
}
