package dev.gather.jobs.run;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class RunnerWaitTest {
  private static final long NOW = TimeUnit.SECONDS.toNanos(100);

  private static long ms(long millis) {
    return TimeUnit.MILLISECONDS.toNanos(millis);
  }

  @Test
  void withNothingMeasuredARunnerIsSureToBeFreeWhenTheFirstTimeoutEnds() {
    var running = List.of(
        new RunnerWait.InFlight(NOW - ms(500), NOW + ms(2500), 0),
        new RunnerWait.InFlight(NOW - ms(100), NOW + ms(900), 0));
    assertEquals(900, RunnerWait.untilFirstFreeMs(running, NOW));
  }

  @Test
  void aRunIsExpectedToTakeTheRecentAverageOfItsSort() {
    var running = List.of(
        new RunnerWait.InFlight(NOW - ms(200), NOW + ms(10_000), ms(1200)),
        new RunnerWait.InFlight(NOW - ms(50), NOW + ms(10_000), ms(3000)));
    assertEquals(1000, RunnerWait.untilFirstFreeMs(running, NOW));
  }

  @Test
  void aTimeoutSoonerThanTheAverageEndsTheRunFirst() {
    var running = List.of(new RunnerWait.InFlight(NOW, NOW + ms(300), ms(5000)));
    assertEquals(300, RunnerWait.untilFirstFreeMs(running, NOW));
  }

  @Test
  void aRunPastItsAverageMayEndAnyMoment() {
    var running = List.of(new RunnerWait.InFlight(NOW - ms(900), NOW + ms(5000), ms(400)));
    assertEquals(0, RunnerWait.untilFirstFreeMs(running, NOW));
  }

  @Test
  void partsOfAMillisecondRoundUp() {
    var running = List.of(new RunnerWait.InFlight(NOW, NOW + ms(1) + 1, 0));
    assertEquals(2, RunnerWait.untilFirstFreeMs(running, NOW));
  }
}
