package dev.gather.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** An aggregate's {@code fields} and a source's {@code batch} and {@code maxItems}, checked when the config is read. */
class SelectionAndBatchConfigTest {

  private static JsonObject tree(JsonObject aggregate) {
    return new JsonObject()
        .put("upstreams", new JsonObject().put("users", new JsonObject().put("url", "http://127.0.0.1:9000")))
        .put("aggregates", new JsonObject().put("me", aggregate.put("path", "/aggregate/me/:userId")));
  }

  private static JsonObject source(String path) {
    return new JsonObject().put("upstream", "users").put("path", path);
  }

  private static JsonObject sources() {
    return new JsonObject()
        .put("profile", source("/users/{userId}"))
        .put("friends", source("/users/{id}").put("forEach", "profile.friendIds").put("as", "id"))
        .put("posts", source("/posts?userId={userId}"));
  }

  private static List<String> problems(JsonObject tree) {
    return assertThrows(ConfigException.class, () -> GatherConfig.from(tree)).problems();
  }

  private static AggregateConfig parsed(JsonObject tree) {
    return GatherConfig.from(tree).aggregates().get("me");
  }

  @Test
  void aFieldNeedsTheSourceItStartsWithAndEverySourceThatOneWaitsFor() {
    SelectableFields fields = parsed(tree(new JsonObject().put("sources", sources())
        .put("fields", new JsonArray().add("friends.name").add("posts")))).fields().orElseThrow();
    assertEquals(Set.of("friends", "profile"), fields.needs().get("friends.name"));
    assertEquals(Set.of("posts"), fields.needs().get("posts"));
  }

  @Test
  void aShapeTemplatesFieldNeedsTheSourcesItsKeysExpressionsRead() {
    SelectableFields fields = parsed(tree(new JsonObject().put("sources", sources())
        .put("shape", new JsonObject().put("names", "{friends[].name}").put("count", "{length(posts)}")
            .put("asked", "{params.userId}"))
        .put("fields", new JsonArray().add("names").add("count").add("asked")))).fields().orElseThrow();
    assertEquals(Set.of("friends", "profile"), fields.needs().get("names"));
    assertEquals(Set.of("posts"), fields.needs().get("count"));
    assertEquals(Set.of(), fields.needs().get("asked"), "params is the request, not a source");
  }

  @Test
  void withoutAShapeAFieldMustStartWithASourceName() {
    List<String> problems = problems(tree(new JsonObject().put("sources", sources())
        .put("fields", new JsonArray().add("account.plan"))));
    assertEquals(List.of("aggregates.me.fields.0 = \"account.plan\": without a shape the data's top-level keys are the "
        + "sources [profile, friends, posts], and account is none of them"), problems);
  }

  @Test
  void aShapeTemplatesFieldMustStartWithOneOfItsKeys() {
    List<String> problems = problems(tree(new JsonObject().put("sources", sources())
        .put("shape", new JsonObject().put("name", "{profile.name}"))
        .put("fields", new JsonArray().add("title"))));
    assertEquals(List.of("aggregates.me.fields.0 = \"title\": the shape has no top-level key title; its keys are [name]"),
        problems);
  }

  @Test
  void aDeclaredSourceMustExist() {
    List<String> problems = problems(tree(new JsonObject().put("sources", sources())
        .put("shape", "{name: profile.name}")
        .put("fields", new JsonArray().add(new JsonObject().put("field", "name").put("sources",
            new JsonArray().add("account"))))));
    assertEquals(List.of("aggregates.me.fields.0.sources: \"account\" is no source of this aggregate; its sources are "
        + "[profile, friends, posts]"), problems);
  }

  @Test
  void aSourceReadingTheFieldsParameterConflictsWithSelection() {
    List<String> problems = problems(tree(new JsonObject()
        .put("sources", sources().put("search", source("/search?fields={fields}")))
        .put("fields", new JsonArray().add("posts"))));
    assertTrue(problems.size() == 1 && problems.get(0).startsWith("aggregates.me.fields: source search reads the request "
        + "parameter fields"), problems.toString());
  }

  @Test
  void aBatchNeedsAForEachAndAPathThatDoesNotReadTheItem() {
    JsonObject batch = new JsonObject().put("param", "ids");
    List<String> problems = problems(tree(new JsonObject().put("sources", new JsonObject()
        .put("one", source("/users").put("batch", batch.copy()))
        .put("each", source("/users/{id}").put("forEach", "ids").put("as", "id").put("batch", batch.copy())))));
    assertEquals(List.of(
        "aggregates.me.sources.one.batch: only a forEach source calls once per item; add \"forEach\" (e.g. \"ids\") or "
            + "remove batch",
        "aggregates.me.sources.each.batch: the source's path, query, headers or body read {id}, the item, but one batch "
            + "call carries up to 100 items in ?ids=; make the path the batch endpoint, e.g. \"path\": \"/users\""),
        problems);
  }

  @Test
  void aBatchNamesItsParameterAndKeepsItsMaxWithinBounds() {
    List<String> problems = problems(tree(new JsonObject().put("sources", new JsonObject()
        .put("each", source("/users").put("forEach", "ids").put("batch", new JsonObject().put("max", 0).put("size", 3))))));
    assertTrue(problems.contains("aggregates.me.sources.each.batch.size: unknown key; keys here are key, max, param"),
        problems.toString());
    assertTrue(problems.contains("aggregates.me.sources.each.batch.param: missing; add it, e.g. \"param\": \"ids\""),
        problems.toString());
    assertTrue(problems.contains("aggregates.me.sources.each.batch.max = 0: out of range; use an integer from 1 to 1000 "
        + "(default 100)"), problems.toString());
  }

  @Test
  void maxItemsBelongsToAForEachSource() {
    List<String> problems = problems(tree(new JsonObject().put("sources", new JsonObject()
        .put("one", source("/users/{userId}").put("maxItems", 10)))));
    assertEquals(List.of("aggregates.me.sources.one.maxItems: only a forEach source walks items; add \"forEach\" or "
        + "remove maxItems"), problems);
  }

  @Test
  void aForEachWalksAtMostAThousandItemsUnlessItSaysOtherwise() {
    AggregateConfig aggregate = parsed(tree(new JsonObject().put("sources", sources())));
    assertEquals(1000, aggregate.sources().stream().filter(s -> s.name().equals("friends")).findFirst().orElseThrow()
        .maxItems());
  }
}
