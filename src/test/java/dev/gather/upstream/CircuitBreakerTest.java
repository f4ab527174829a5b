package dev.gather.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gather.config.BreakerConfig;
import dev.gather.time.ManualClock;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CircuitBreakerTest {
  private static final int RESET_MS = 1_000;
  private static final int WINDOW_MS = 10_000;

  private final ManualClock clock = new ManualClock();

  /** Opens after 3 failures in a row; the ratio rule is out of reach. */
  private CircuitBreaker byFailuresInARow() {
    return new CircuitBreaker(new BreakerConfig(3, 1.0, 1_000_000, WINDOW_MS, RESET_MS), clock);
  }

  private CircuitBreaker opened() {
    CircuitBreaker breaker = byFailuresInARow();
    calls(breaker, "FFF");
    assertEquals(CircuitBreaker.State.OPEN, breaker.state());
    return breaker;
  }

  /** One call per letter: S succeeds, F fails. */
  private static void calls(CircuitBreaker breaker, String outcomes) {
    for (char outcome : outcomes.toCharArray()) {
      CircuitBreaker.Pass pass = breaker.pass().orElseThrow();
      if (outcome == 'S') {
        pass.succeeded();
      } else {
        pass.failed();
      }
    }
  }

  @ParameterizedTest(name = "failures={1} ratio={2} minCalls={3}: {0} → {4}")
  @CsvSource({
      "FF,     3, 1.0, 1000000, CLOSED",
      "FFF,    3, 1.0, 1000000, OPEN",
      "FFSFF,  3, 1.0, 1000000, CLOSED",
      "FFSFFF, 3, 1.0, 1000000, OPEN",
      "SFSF,   100, 0.5, 4, OPEN",
      "SSSF,   100, 0.5, 4, CLOSED",
      "FSF,    100, 0.5, 4, CLOSED",
      "SSSSSSFFFF, 100, 0.4, 10, OPEN",
      "SSSSSSSFFF, 100, 0.4, 10, CLOSED",
  })
  void opensAfterFailuresInARowOrByTheFailureRatioOnceMinCallsHaveBeenSeen(String outcomes, int failures,
      double ratio, int minCalls, CircuitBreaker.State expected) {
    CircuitBreaker breaker = new CircuitBreaker(new BreakerConfig(failures, ratio, minCalls, WINDOW_MS, RESET_MS),
        clock);

    calls(breaker, outcomes);

    assertEquals(expected, breaker.state());
  }

  @Test
  void failuresOlderThanTheWindowNoLongerCountTowardsTheRatio() {
    CircuitBreaker breaker = new CircuitBreaker(new BreakerConfig(100, 0.5, 4, WINDOW_MS, RESET_MS), clock);
    calls(breaker, "FSF");

    clock.advance(WINDOW_MS);
    calls(breaker, "SFS");

    assertEquals(CircuitBreaker.State.CLOSED, breaker.state());
  }

  @Test
  void rejectsEveryCallWhileOpen() {
    CircuitBreaker breaker = opened();

    clock.advance(RESET_MS - 1);

    assertEquals(Optional.empty(), breaker.pass());
    assertEquals(1, breaker.timesOpened());
  }

  @Test
  void msUntilProbeCountsDownToTheReset() {
    CircuitBreaker breaker = opened();
    assertEquals(RESET_MS, breaker.msUntilProbe());

    clock.advance(300);
    assertEquals(RESET_MS - 300, breaker.msUntilProbe());

    clock.advance(RESET_MS - 300);
    assertEquals(0, breaker.msUntilProbe());
    assertEquals(CircuitBreaker.State.HALF_OPEN, breaker.state());
  }

  @Test
  void aClosedBreakerHasNoProbeToWaitFor() {
    assertEquals(0, byFailuresInARow().msUntilProbe());
  }

  @Test
  void onlyOneProbeGoesWhileHalfOpen() {
    CircuitBreaker breaker = opened();
    clock.advance(RESET_MS);

    assertTrue(breaker.pass().isPresent(), "the probe");
    assertEquals(Optional.empty(), breaker.pass());
  }

  @Test
  void aProbeThatSucceedsClosesTheBreaker() {
    CircuitBreaker breaker = opened();
    clock.advance(RESET_MS);

    breaker.pass().orElseThrow().succeeded();

    assertEquals(CircuitBreaker.State.CLOSED, breaker.state());
    calls(breaker, "FF");
    assertEquals(CircuitBreaker.State.CLOSED, breaker.state(), "the run of failures starts again from none");
  }

  @Test
  void aProbeThatFailsOpensTheBreakerForAnotherReset() {
    CircuitBreaker breaker = opened();
    clock.advance(RESET_MS);

    breaker.pass().orElseThrow().failed();

    assertEquals(CircuitBreaker.State.OPEN, breaker.state());
    assertEquals(RESET_MS, breaker.msUntilProbe());
    assertEquals(2, breaker.timesOpened());
  }

  @Test
  void anAbandonedProbeLetsAnotherProbeGo() {
    CircuitBreaker breaker = opened();
    clock.advance(RESET_MS);

    breaker.pass().orElseThrow().abandoned();

    assertTrue(breaker.pass().isPresent());
    assertEquals(CircuitBreaker.State.HALF_OPEN, breaker.state());
  }

  @Test
  void aPassReportedTwiceCountsOnce() {
    CircuitBreaker breaker = byFailuresInARow();
    CircuitBreaker.Pass pass = breaker.pass().orElseThrow();

    pass.failed();
    pass.failed();
    pass.failed();

    assertEquals(CircuitBreaker.State.CLOSED, breaker.state());
  }
}
