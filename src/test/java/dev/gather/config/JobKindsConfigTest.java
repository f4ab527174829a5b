package dev.gather.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** jobs.kinds: per-kind limits and pause, and the messages that name each mistake and its fix. */
class JobKindsConfigTest {

  private static GatherConfig parse(JsonObject kinds) {
    return GatherConfig.from(new JsonObject().put("jobs", new JsonObject().put("kinds", kinds)));
  }

  private static List<String> problems(JsonObject kinds) {
    return assertThrows(ConfigException.class, () -> parse(kinds)).problems();
  }

  private static void assertProblem(JsonObject kind, String key, String fix) {
    List<String> problems = problems(new JsonObject().put("sleep", kind));
    assertTrue(problems.stream().anyMatch(p -> p.startsWith(key) && p.contains(fix)), problems.toString());
  }

  @Test
  void limitsArePartitionedByATopLevelInputField() {
    JobKindConfig sleep = parse(new JsonObject().put("sleep", new JsonObject()
        .put("concurrency", new JsonObject().put("limit", 2).put("by", "input.tenant"))
        .put("rate", new JsonObject().put("limit", 10).put("periodMs", 1000))
        .put("paused", true))).jobs().kinds().get("sleep");
    assertEquals(new JobKindConfig.Concurrency(2, Optional.of("tenant")), sleep.concurrency().orElseThrow());
    assertEquals(new JobKindConfig.Rate(10, 1000, Optional.empty()), sleep.rate().orElseThrow());
    assertTrue(sleep.paused());
    assertTrue(sleep.limited());
  }

  @Test
  void aKindThatIsOnlyPausedIsNotLimited() {
    GatherConfig config = parse(new JsonObject().put("sleep", new JsonObject().put("paused", true)));
    assertFalse(config.jobs().kinds().get("sleep").limited());
    assertEquals(List.of(), config.jobs().limitedKinds());
  }

  @Test
  void mistakesNameTheKeyAndTheFix() {
    assertProblem(new JsonObject().put("concurrency", new JsonObject()), "jobs.kinds.sleep.concurrency.limit",
        "missing");
    assertProblem(new JsonObject().put("concurrency", new JsonObject().put("limit", 0)),
        "jobs.kinds.sleep.concurrency.limit", "from 1");
    assertProblem(new JsonObject().put("concurrency", new JsonObject().put("limit", 2).put("by", "tenant")),
        "jobs.kinds.sleep.concurrency.by", "\"input.<field>\"");
    assertProblem(new JsonObject().put("concurrency", new JsonObject().put("limit", 2).put("by", "input.a.b")),
        "jobs.kinds.sleep.concurrency.by", "top-level");
    assertProblem(new JsonObject().put("rate", new JsonObject().put("limit", 10)), "jobs.kinds.sleep.rate.periodMs",
        "\"periodMs\": 1000");
    assertProblem(new JsonObject().put("rate", new JsonObject().put("limit", 10).put("periodMs", 1)),
        "jobs.kinds.sleep.rate.periodMs", "from 10");
    assertProblem(new JsonObject().put("concurency", new JsonObject()), "jobs.kinds.sleep.concurency", "unknown key");
    assertProblem(new JsonObject().put("paused", "yes"), "jobs.kinds.sleep.paused", "true or false");
    List<String> problems = problems(new JsonObject().put("sleep", 2));
    assertTrue(problems.get(0).startsWith("jobs.kinds.sleep = 2: expected an object"), problems.toString());
  }
}
