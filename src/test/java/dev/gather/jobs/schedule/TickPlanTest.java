package dev.gather.jobs.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.gather.config.ScheduleConfig;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which ticks are due, on a clock the test drives (plain instants): no process, no database. */
class TickPlanTest {
  private static final Cadence EVERY_SECOND = new Cadence.Every(1000);
  private static final Instant T = Instant.parse("2026-11-25T12:00:00Z");

  @Test
  void theCurrentTickIsDueOnceItComes() {
    assertEquals(List.of(T.plusSeconds(1)), TickPlan.due(EVERY_SECOND, false, 100, T, T.plusMillis(1003)));
  }

  @Test
  void nothingIsDueBeforeTheNextTick() {
    assertEquals(List.of(), TickPlan.due(EVERY_SECOND, false, 100, T, T.plusMillis(999)));
    assertEquals(List.of(), TickPlan.due(EVERY_SECOND, true, 100, T, T.plusMillis(999)));
  }

  @Test
  void withoutCatchUpThirtyMissedTicksGiveOnlyTheCurrentOne() {
    assertEquals(List.of(T.plusSeconds(30)), TickPlan.due(EVERY_SECOND, false, 100, T, T.plusMillis(30_400)));
  }

  @Test
  void withoutCatchUpATickOlderThanTheMisfireGraceIsSkipped() {
    Cadence daily = cadence(new JsonObject().put("cron", "0 3 * * *"));
    Instant threeAm = Instant.parse("2026-11-25T03:00:00Z");
    Instant lastTick = threeAm.minusSeconds(86_400);
    assertEquals(List.of(threeAm), TickPlan.due(daily, false, 100, lastTick, threeAm.plusSeconds(59)));
    assertEquals(List.of(), TickPlan.due(daily, false, 100, lastTick, threeAm.plusSeconds(61)));
  }

  @Test
  void withCatchUpEveryMissedTickIsDueOldestFirst() {
    List<Instant> expected = new ArrayList<>();
    for (int s = 1; s <= 30; s++) {
      expected.add(T.plusSeconds(s));
    }
    assertEquals(expected, TickPlan.due(EVERY_SECOND, true, 100, T, T.plusMillis(30_400)));
  }

  @Test
  void catchUpIsBoundedByCatchUpMaxAndKeepsTheNewestTicks() {
    assertEquals(List.of(T.plusSeconds(26), T.plusSeconds(27), T.plusSeconds(28), T.plusSeconds(29), T.plusSeconds(30)),
        TickPlan.due(EVERY_SECOND, true, 5, T, T.plusMillis(30_400)));
  }

  @Test
  void catchUpAfterAWeekDownWalksOnlyCatchUpMaxTicks() {
    List<Instant> due = TickPlan.due(EVERY_SECOND, true, 1000, T, T.plusSeconds(7 * 86_400));
    assertEquals(1000, due.size());
    assertEquals(T.plusSeconds(7 * 86_400), due.get(999));
  }

  @Test
  void aTickAlreadyTakenCareOfIsNotDueAgain() {
    assertEquals(List.of(), TickPlan.due(EVERY_SECOND, false, 100, T.plusSeconds(5), T.plusMillis(5_500)));
    assertEquals(List.of(), TickPlan.due(EVERY_SECOND, true, 100, T.plusSeconds(5), T.plusMillis(5_500)));
  }

  @Test
  void everyMsTicksAreCountedFromTheEpochSoEveryReplicaAgrees() {
    Cadence everySevenSeconds = new Cadence.Every(7000);
    Instant at = Instant.ofEpochSecond(1_000_000_003L); // 1e9 + 3 s; 1e9 + 1 is the multiple of 7 below
    assertEquals(Instant.ofEpochSecond(1_000_000_001L), everySevenSeconds.latest(at).orElseThrow());
    assertEquals(Instant.ofEpochSecond(1_000_000_008L), everySevenSeconds.next(at).orElseThrow());
  }

  @Test
  void fiveFieldCronIsUnixCronAndSixFieldsPutSecondsFirst() {
    Instant at = Instant.parse("2026-11-25T12:03:10Z");
    assertEquals(Instant.parse("2026-11-25T12:05:00Z"),
        cadence(new JsonObject().put("cron", "*/5 * * * *")).next(at).orElseThrow());
    assertEquals(Instant.parse("2026-11-25T12:03:20Z"),
        cadence(new JsonObject().put("cron", "*/10 * * * * *")).next(at).orElseThrow());
    assertEquals(Instant.parse("2026-11-25T12:03:10Z"),
        cadence(new JsonObject().put("cron", "*/10 * * * * *")).latest(at).orElseThrow());
  }

  @Test
  void cronRunsInItsZoneAcrossDaylightSavingTime() {
    Cadence berlinThreeAm = cadence(new JsonObject().put("cron", "0 3 * * *").put("zone", "Europe/Berlin"));
    assertEquals(Instant.parse("2026-11-26T02:00:00Z"),
        berlinThreeAm.next(Instant.parse("2026-11-25T12:00:00Z")).orElseThrow(), "winter: UTC+1");
    assertEquals(Instant.parse("2026-07-02T01:00:00Z"),
        berlinThreeAm.next(Instant.parse("2026-07-01T12:00:00Z")).orElseThrow(), "summer: UTC+2");
  }

  @Test
  void nextRunsAreTheNextFiveTicksInOrder() {
    assertEquals(List.of(T.plusSeconds(1), T.plusSeconds(2), T.plusSeconds(3), T.plusSeconds(4), T.plusSeconds(5)),
        EVERY_SECOND.nextRuns(T, 5));
  }

  private static Cadence cadence(JsonObject definition) {
    List<String> problems = new ArrayList<>();
    ScheduleConfig schedule = ScheduleConfig.parse("s", "s",
        definition.put("job", new JsonObject().put("kind", "sleep")), problems);
    assertEquals(List.of(), problems);
    return Cadence.of(schedule);
  }
}
