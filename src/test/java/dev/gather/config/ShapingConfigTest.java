package dev.gather.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The shaping keys of an aggregate and its sources, checked when the config is read. */
class ShapingConfigTest {

  private static JsonObject tree(JsonObject aggregate) {
    return new JsonObject()
        .put("upstreams", new JsonObject().put("users", new JsonObject().put("url", "http://127.0.0.1:9000")))
        .put("aggregates", new JsonObject().put("me", aggregate.put("path", "/aggregate/me/:userId")));
  }

  private static JsonObject source(String path) {
    return new JsonObject().put("upstream", "users").put("path", path);
  }

  private static List<String> problems(JsonObject tree) {
    return assertThrows(ConfigException.class, () -> GatherConfig.from(tree)).problems();
  }

  @Test
  void anInvalidSelectIsNamedWithItsKey() {
    List<String> problems = problems(tree(new JsonObject().put("sources", new JsonObject()
        .put("profile", source("/users/{userId}").put("select", "{id: id")))));
    assertEquals(1, problems.size(), problems.toString());
    assertTrue(problems.get(0).startsWith("aggregates.me.sources.profile.select = \"{id: id\": not a JMESPath expression"),
        problems.get(0));
  }

  @Test
  void anInvalidExpressionInsideAShapeTemplateIsNamedByItsPath() {
    List<String> problems = problems(tree(new JsonObject()
        .put("sources", new JsonObject().put("profile", source("/users/{userId}")))
        .put("shape", new JsonObject().put("user", new JsonObject().put("name", "{profile.[}")))));
    assertEquals(1, problems.size(), problems.toString());
    assertTrue(problems.get(0).startsWith("aggregates.me.shape.user.name = \"profile.[\": not a JMESPath expression"),
        problems.get(0));
  }

  @Test
  void aShapeThatIsNeitherTextNorATemplateIsNamed() {
    List<String> problems = problems(tree(new JsonObject()
        .put("sources", new JsonObject().put("profile", source("/users/{userId}"))).put("shape", 3)));
    assertTrue(problems.get(0).startsWith("aggregates.me.shape = 3: expected a JMESPath expression"), problems.get(0));
  }

  @Test
  void aReservedSourceNameIsNamedWithTheFix() {
    List<String> problems = problems(tree(new JsonObject().put("sources", new JsonObject()
        .put("params", source("/users/{userId}")))));
    assertEquals(List.of("aggregates.me.sources.params: \"params\" is reserved (templates and expressions read the "
        + "request under it); rename the source, e.g. \"paramsSource\""), problems);
  }

  @Test
  void aFallbackOnARequiredSourceIsRefused() {
    List<String> problems = problems(tree(new JsonObject().put("sources", new JsonObject()
        .put("profile", source("/users/{userId}").put("required", true).put("fallback", new JsonObject())))));
    assertEquals(1, problems.size(), problems.toString());
    assertTrue(problems.get(0).startsWith("aggregates.me.sources.profile.fallback: not allowed on a required source"),
        problems.get(0));
  }

  @Test
  void allowAndDenyTogetherAreRefused() {
    List<String> problems = problems(tree(new JsonObject().put("sources", new JsonObject()
        .put("profile", source("/users/{userId}").put("allow", new JsonArray().add("id"))
            .put("deny", new JsonArray().add("email"))))));
    assertEquals(1, problems.size(), problems.toString());
    assertTrue(problems.get(0).startsWith("aggregates.me.sources.profile.deny: give \"allow\""), problems.get(0));
  }

  @Test
  void aWhenThatReadsAnotherSourceMakesItADependency() {
    GatherConfig config = GatherConfig.from(tree(new JsonObject().put("sources", new JsonObject()
        .put("vip", source("/vip/{userId}").put("when", "profile.plan == 'gold' && params.full"))
        .put("profile", source("/users/{userId}")))));
    List<SourceConfig> sources = config.aggregates().get("me").sources();
    assertEquals("profile", sources.get(0).name(), "the source a when reads runs first");
    assertEquals(Set.of("profile"), sources.get(1).dependencies());
  }

  @Test
  void envelopeDefaultsToTrueAndShapeToNone() {
    AggregateConfig me = GatherConfig.from(tree(new JsonObject().put("sources", new JsonObject()
        .put("profile", source("/users/{userId}"))))).aggregates().get("me");
    assertTrue(me.envelope());
    assertTrue(me.shape().isEmpty());
  }
}
