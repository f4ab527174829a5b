package dev.gather.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.gather.time.ManualClock;
import org.junit.jupiter.api.Test;

/** A repeated failure is told at most once per period, each line counting what happened since the last one. */
class LogThrottleTest {
  private final ManualClock clock = new ManualClock();
  private final LogThrottle throttle = new LogThrottle(10_000, clock);

  @Test
  void theFirstOccurrenceIsToldAtOnce() {
    assertEquals(1, throttle.occurred());
  }

  @Test
  void occurrencesWithinThePeriodStayQuietAndTheNextLineCountsThem() {
    throttle.occurred();
    for (int i = 0; i < 500; i++) {
      assertEquals(0, throttle.occurred());
    }
    clock.advance(9_999);
    assertEquals(0, throttle.occurred());
    clock.advance(1);
    assertEquals(502, throttle.occurred(), "the 501 quiet ones and this one");
    assertEquals(0, throttle.occurred());
  }
}
