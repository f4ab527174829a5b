package dev.gather.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;

class AggregatesConfigTest {

  private static JsonObject upstreams() {
    return new JsonObject().put("users", new JsonObject().put("url", "http://127.0.0.1:9000"));
  }

  private static JsonObject tree(JsonObject sources) {
    return new JsonObject()
        .put("upstreams", upstreams())
        .put("queries", new JsonObject().put("user_by_id", "SELECT * FROM users WHERE id = $1"))
        .put("aggregates", new JsonObject().put("dashboard", new JsonObject()
            .put("path", "/aggregate/dashboard/:userId").put("deadlineMs", 1500).put("sources", sources)));
  }

  private static List<String> problems(JsonObject tree) {
    return assertThrows(ConfigException.class, () -> GatherConfig.from(tree)).problems();
  }

  @Test
  void sourcesComeInDependencyOrderWhateverOrderTheyAreWrittenIn() {
    GatherConfig config = GatherConfig.from(tree(new JsonObject()
        .put("friends", new JsonObject().put("upstream", "users").put("path", "/users/{id}")
            .put("forEach", "profile.friendIds").put("as", "id"))
        .put("profile", new JsonObject().put("upstream", "users").put("path", "/users/{userId}").put("required", true))
        .put("account", new JsonObject().put("query", "user_by_id").put("params", new JsonArray().add("{userId}")))));
    AggregateConfig dashboard = config.aggregates().get("dashboard");
    List<String> order = dashboard.sources().stream().map(SourceConfig::name).toList();
    assertTrue(order.indexOf("profile") < order.indexOf("friends"), order.toString());
    assertEquals(java.util.Set.of("profile"), dashboard.sources().get(order.indexOf("friends")).dependencies());
    assertEquals(1500, dashboard.deadlineMs());
  }

  @Test
  void anUnknownUpstreamIsNamed() {
    List<String> problems = problems(tree(new JsonObject()
        .put("orders", new JsonObject().put("upstream", "orders").put("path", "/orders"))));
    assertEquals(1, problems.size(), problems.toString());
    assertTrue(problems.get(0).startsWith("aggregates.dashboard.sources.orders.upstream = \"orders\": no such upstream"),
        problems.get(0));
  }

  @Test
  void aTemplateThatUsesAnUnknownSourceIsNamed() {
    List<String> problems = problems(tree(new JsonObject()
        .put("orders", new JsonObject().put("upstream", "users").put("path", "/orders?user={profile.id}"))));
    assertEquals(1, problems.size(), problems.toString());
    assertTrue(problems.get(0).contains("uses {profile.…} but the aggregate has no source named profile"),
        problems.get(0));
  }

  @Test
  void aDependencyCycleIsNamed() {
    List<String> problems = problems(tree(new JsonObject()
        .put("a", new JsonObject().put("upstream", "users").put("path", "/a/{b.id}"))
        .put("b", new JsonObject().put("upstream", "users").put("path", "/b/{a.id}"))));
    assertEquals(List.of("aggregates.dashboard.sources: dependency cycle among [a, b]; a source cannot wait for itself"),
        problems);
  }

  @Test
  void aBadUpstreamUrlIsNamed() {
    List<String> problems = problems(new JsonObject().put("upstreams",
        new JsonObject().put("users", new JsonObject().put("url", "ftp://files.example.com"))));
    assertEquals(1, problems.size());
    assertTrue(problems.get(0).startsWith("upstreams.users.url = \"ftp://files.example.com\": not a base URL"));
  }

  @Test
  void aMissingKeyIsNamed() {
    List<String> problems = problems(new JsonObject().put("upstreams", new JsonObject().put("users", new JsonObject())));
    assertEquals(List.of("upstreams.users.url: missing; add it, e.g. \"url\": \"http://users.internal:8080\""), problems);
  }

  @Test
  void aSourceWithNeitherUpstreamNorQueryIsNamed() {
    List<String> problems = problems(tree(new JsonObject().put("x", new JsonObject().put("path", "/x"))));
    assertTrue(problems.get(0).startsWith("aggregates.dashboard.sources.x: give either \"upstream\""), problems.get(0));
  }

  @Test
  void anUnknownQueryIsNamed() {
    List<String> problems = problems(tree(new JsonObject().put("x", new JsonObject().put("query", "nope"))));
    assertTrue(problems.get(0).startsWith("aggregates.dashboard.sources.x.query = \"nope\": no such query"),
        problems.get(0));
  }

  @Test
  void everyMistakeOfAConfigIsListedTogether() {
    JsonObject tree = tree(new JsonObject()
        .put("a", new JsonObject().put("upstream", "nope").put("path", "/a/{b.id}"))
        .put("b", new JsonObject().put("upstream", "users").put("path", "/b/{a.id}"))
        .put("c", new JsonObject().put("upstream", "users").put("path", "/c/{ghost.id}")));
    tree.getJsonObject("upstreams").put("bad", new JsonObject().put("url", "not a url"));
    assertEquals(4, problems(tree).size(), problems(tree).toString());
  }

  @Test
  void resilienceSettingsAreReadWithTheirDefaults() {
    GatherConfig config = GatherConfig.from(new JsonObject().put("upstreams", new JsonObject()
        .put("users", new JsonObject().put("url", "http://u:1").put("timeoutMs", 800).put("retries", 2)
            .put("hedgeAfterMs", "p95").put("coalesce", true)
            .put("circuitBreaker", new JsonObject().put("failures", 3)))
        .put("plain", new JsonObject().put("url", "http://p:1"))));
    UpstreamConfig users = config.upstreams().get("users");
    assertEquals(2, users.retry().retries());
    assertEquals(List.of(502, 503, 504), users.retry().retryOn());
    assertTrue(users.retry().retries("GET") && !users.retry().retries("POST"), "only idempotent methods retry");
    assertEquals(800, users.retry().tryTimeoutMs());
    assertEquals(0.2, users.retry().budgetRatio());
    assertTrue(users.hedge().adaptive());
    assertTrue(users.coalesce());
    assertEquals(3, users.circuitBreaker().orElseThrow().failures());
    assertEquals(10_000, users.circuitBreaker().orElseThrow().resetMs());
    UpstreamConfig plain = config.upstreams().get("plain");
    assertEquals(0, plain.retry().retries());
    assertTrue(!plain.hedge().enabled() && !plain.coalesce() && plain.circuitBreaker().isEmpty(),
        "resilience features are off unless configured");
  }

  @Test
  void badResilienceSettingsAreEachNamed() {
    List<String> problems = problems(new JsonObject().put("upstreams", new JsonObject()
        .put("users", new JsonObject().put("url", "http://u:1").put("retries", 99).put("retryOn", new JsonArray().add(42))
            .put("retryMethods", new JsonArray().add("FETCH")).put("hedgeAfterMs", "p99")
            .put("retryBudget", new JsonObject().put("ratio", 2))
            .put("circuitBreaker", new JsonObject().put("failures", 0).put("opens", 1)))));
    String all = String.join("\n", problems);
    for (String key : new String[] {"upstreams.users.retries = 99", "upstreams.users.retryOn: 42",
        "upstreams.users.retryMethods: \"FETCH\"", "upstreams.users.hedgeAfterMs", "upstreams.users.retryBudget.ratio = 2",
        "upstreams.users.circuitBreaker.failures = 0", "upstreams.users.circuitBreaker.opens: unknown key"}) {
      assertTrue(all.contains(key), "missing " + key + " in\n" + all);
    }
    assertEquals(7, problems.size(), all);
  }
}
