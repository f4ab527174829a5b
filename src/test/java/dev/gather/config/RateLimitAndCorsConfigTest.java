package dev.gather.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RateLimitAndCorsConfigTest {
  private static List<String> problems(JsonObject tree) {
    return assertThrows(ConfigException.class, () -> GatherConfig.from(tree)).problems();
  }

  private static JsonObject rate(JsonObject routes) {
    return new JsonObject().put("rateLimit", new JsonObject().put("routes", routes));
  }

  @Test
  void byDefaultNothingIsLimitedTheBucketsAreLocalAndCorsIsOff() {
    GatherConfig config = GatherConfig.from(new JsonObject());
    assertTrue(config.rateLimit().routes().isEmpty());
    assertEquals(Optional.empty(), config.rateLimit().redisUrl());
    assertTrue(config.rateLimit().failOpen());
    assertFalse(config.cors().enabled());
  }

  @Test
  void aGroupsRateIsReadWithItsBurstDefaultingToOneSecondsWorth() {
    GatherConfig config = GatherConfig.from(rate(new JsonObject()
        .put("aggregates", new JsonObject().put("perSecond", 50).put("burst", 100))
        .put("proxy", new JsonObject().put("perSecond", 2.5))));
    assertEquals(new Rate(50, 100), config.rateLimit().routes().get(RouteGroup.AGGREGATES));
    assertEquals(new Rate(2.5, 3), config.rateLimit().routes().get(RouteGroup.PROXY));
  }

  @Test
  void anUnknownGroupIsNamedWithTheGroupsThereAre() {
    assertEquals(List.of("rateLimit.routes.agregates: no such route group; groups are [info, metrics, docs, users, "
        + "jobs, compute, aggregates, proxy, admin, console]"), problems(rate(new JsonObject().put("agregates",
            new JsonObject().put("perSecond", 1)))));
  }

  @Test
  void healthProbesCannotBeLimited() {
    assertTrue(problems(rate(new JsonObject().put("health", new JsonObject().put("perSecond", 1)))).get(0)
        .startsWith("rateLimit.routes.health: health probes are never limited"));
  }

  @Test
  void aRateWithoutPerSecondOrWithAZeroOneSaysSo() {
    assertEquals(List.of("rateLimit.routes.users.perSecond: missing; add it, e.g. {\"perSecond\": 10, \"burst\": 20}"),
        problems(rate(new JsonObject().put("users", new JsonObject().put("burst", 5)))));
    assertTrue(problems(rate(new JsonObject().put("users", new JsonObject().put("perSecond", 0)))).get(0)
        .startsWith("rateLimit.routes.users.perSecond = 0: use a number from"));
  }

  @Test
  void anAggregatesRateIsCheckedUnderItsOwnKey() {
    JsonObject aggregate = new JsonObject().put("sources", new JsonObject().put("a", new JsonObject()
        .put("query", "q"))).put("rate", new JsonObject().put("perSecond", 1).put("burst", 0));
    List<String> problems = problems(new JsonObject().put("queries", new JsonObject().put("q", "SELECT 1"))
        .put("aggregates", new JsonObject().put("dash", aggregate)));
    assertTrue(problems.get(0).startsWith("aggregates.dash.rate.burst = 0: out of range"), problems.toString());
  }

  @Test
  void aRedisUrlThatIsNotOneNamesTheFix() {
    List<String> problems = problems(new JsonObject().put("rateLimit", new JsonObject()
        .put("redisUrl", "http://user:secret@cache:6379")));
    assertEquals(1, problems.size());
    assertTrue(problems.get(0).startsWith("rateLimit.redisUrl = \"http://user:***@cache:6379\": not a Redis URL; use "
        + "redis://host:6379"), problems.get(0));
  }

  @Test
  void corsListsMayBeJsonListsOrCommaSeparatedText() {
    GatherConfig config = GatherConfig.from(new JsonObject().put("cors", new JsonObject()
        .put("origins", "https://a.example, http://localhost:3000").put("methods", new JsonArray().add("get"))));
    assertEquals(List.of("https://a.example", "http://localhost:3000"), config.cors().origins());
    assertEquals(List.of("GET"), config.cors().methods());
  }

  @Test
  void anOriginWithAPathIsRefusedWithTheFix() {
    assertTrue(problems(new JsonObject().put("cors", new JsonObject().put("origins", new JsonArray()
        .add("https://app.example/")))).get(0).startsWith("cors.origins: \"https://app.example/\" is not an origin; "
            + "write scheme, host and port only"));
  }

  @Test
  void credentialsForAnyOriginAreRefused() {
    assertTrue(problems(new JsonObject().put("cors", new JsonObject().put("origins", "*").put("credentials", true)))
        .get(0).startsWith("cors.credentials = true with cors.origins \"*\""));
  }
}
