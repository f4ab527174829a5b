package dev.gather.time;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ManualClockTest {
  private final ManualClock clock = new ManualClock();

  @Test
  void advancingRunsDueActionsInTheOrderTheyFallDue() {
    List<String> ran = new ArrayList<>();
    clock.schedule(30, () -> ran.add("30"));
    clock.schedule(10, () -> ran.add("10"));
    clock.schedule(10, () -> ran.add("10 again"));
    clock.schedule(50, () -> ran.add("50"));

    clock.advance(30);

    assertEquals(List.of("10", "10 again", "30"), ran);
    assertEquals(1, clock.pending());
  }

  @Test
  void anActionSeesTheTimeAtWhichItFellDue() {
    long start = clock.nanoTime();
    long[] seen = new long[1];
    clock.schedule(20, () -> seen[0] = clock.millisSince(start));

    clock.advance(100);

    assertEquals(20, seen[0]);
    assertEquals(100, clock.millisSince(start));
  }

  @Test
  void anActionScheduledByAnotherRunsInTheSameAdvanceWhenDue() {
    List<String> ran = new ArrayList<>();
    clock.schedule(10, () -> clock.schedule(10, () -> ran.add("chained")));

    clock.advance(20);

    assertEquals(List.of("chained"), ran);
  }

  @Test
  void aCancelledActionDoesNotRun() {
    List<String> ran = new ArrayList<>();
    Timers.Scheduled scheduled = clock.schedule(10, () -> ran.add("cancelled"));
    scheduled.cancel();

    clock.advance(20);

    assertEquals(List.of(), ran);
  }
}
