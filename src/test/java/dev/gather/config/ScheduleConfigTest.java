package dev.gather.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.time.ZoneId;
import java.util.List;
import org.junit.jupiter.api.Test;

/** jobs.schedules: every mistake named by its key, with the fix. */
class ScheduleConfigTest {

  @Test
  void aCronScheduleInAZoneIsRead() {
    ScheduleConfig nightly = GatherConfig.from(schedules(new JsonObject().put("nightly", new JsonObject()
        .put("cron", "0 3 * * *").put("zone", "Europe/Berlin").put("catchUp", true).put("catchUpMax", 3)
        .put("job", new JsonObject().put("kind", "users.export").put("input", new JsonObject().put("file", "n.csv"))
            .put("priority", 5).put("maxAttempts", 2))))).jobs().schedules().get("nightly");
    assertEquals("0 3 * * *", nightly.cron().orElseThrow());
    assertEquals(ZoneId.of("Europe/Berlin"), nightly.zone());
    assertTrue(nightly.catchUp());
    assertEquals(3, nightly.catchUpMax());
    assertEquals(5, nightly.job().priority());
    assertEquals(2, nightly.job().maxAttempts().orElseThrow());
    assertTrue(nightly.job().timeoutMs().isEmpty(), "jobs.timeoutMs applies");
  }

  @Test
  void noSchedulesByDefault() {
    assertTrue(GatherConfig.from(new JsonObject()).jobs().schedules().isEmpty());
  }

  @Test
  void everyMistakeIsNamedByItsKey() {
    List<String> problems = problems(schedules(new JsonObject()
        .put("both", new JsonObject().put("cron", "* * * * *").put("everyMs", 1000).put("job", job()))
        .put("badcron", new JsonObject().put("cron", "0 3 * *").put("job", job()))
        .put("fast", new JsonObject().put("everyMs", 10).put("job", job()))
        .put("zoned", new JsonObject().put("everyMs", 1000).put("zone", "UTC").put("job", job()))
        .put("nojob", new JsonObject().put("everyMs", 1000))
        .put("typo", new JsonObject().put("everyMs", 1000).put("catchup", true).put("job", job()))));
    assertHas(problems, "jobs.schedules.both: give exactly one of cron");
    assertHas(problems, "jobs.schedules.badcron.cron = \"0 3 * *\": has 4 fields");
    assertHas(problems, "jobs.schedules.fast.everyMs = 10: out of range");
    assertHas(problems, "jobs.schedules.zoned.zone: only a cron schedule has a zone");
    assertHas(problems, "jobs.schedules.nojob.job: missing");
    assertHas(problems, "jobs.schedules.typo.catchup: unknown key");
  }

  @Test
  void aSixFieldCronHasSecondsFirst() {
    assertTrue(GatherConfig.from(schedules(new JsonObject().put("often", new JsonObject()
        .put("cron", "*/10 * * * * *").put("job", job())))).jobs().schedules().containsKey("often"));
    assertHas(problems(schedules(new JsonObject().put("bad", new JsonObject().put("cron", "61 * * * * *")
        .put("job", job())))), "jobs.schedules.bad.cron = \"61 * * * * *\": is not a valid 6-field cron expression");
  }

  @Test
  void aCronThatNeverRunsIsRefused() {
    assertHas(problems(schedules(new JsonObject().put("never", new JsonObject().put("cron", "0 0 30 2 *")
        .put("job", job())))), "jobs.schedules.never.cron = \"0 0 30 2 *\": never matches a date");
  }

  private static JsonObject job() {
    return new JsonObject().put("kind", "sleep").put("input", new JsonObject().put("ms", 1));
  }

  private static JsonObject schedules(JsonObject schedules) {
    return new JsonObject().put("jobs", new JsonObject().put("schedules", schedules));
  }

  private static List<String> problems(JsonObject tree) {
    return assertThrows(ConfigException.class, () -> GatherConfig.from(tree)).problems();
  }

  private static void assertHas(List<String> problems, String start) {
    assertTrue(problems.stream().anyMatch(p -> p.startsWith(start)), "no problem starting " + start + " in " + problems);
  }
}
