package dev.gather.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The {@code cache} keys: of a source, of an upstream (its sources' default), and the top-level section. */
class CacheConfigTest {

  private static JsonObject tree(JsonObject upstream, JsonObject sources) {
    return new JsonObject()
        .put("upstreams", new JsonObject().put("users", upstream.put("url", "http://127.0.0.1:9000")))
        .put("queries", new JsonObject().put("user_by_id", "SELECT * FROM users WHERE id = $1"))
        .put("aggregates", new JsonObject().put("dashboard", new JsonObject().put("sources", sources)));
  }

  private static Optional<CachePolicy> cacheOf(GatherConfig config, String source) {
    return config.aggregates().get("dashboard").sources().stream().filter(s -> s.name().equals(source)).findFirst()
        .orElseThrow().cache();
  }

  private static List<String> problems(JsonObject tree) {
    return assertThrows(ConfigException.class, () -> GatherConfig.from(tree)).problems();
  }

  @Test
  void aSourcesCacheIsItsUpstreamsDefaultWithItsOwnKeysOverIt() {
    GatherConfig config = GatherConfig.from(tree(
        new JsonObject().put("cache", new JsonObject().put("ttlMs", 5000).put("staleIfErrorMs", 60_000)),
        new JsonObject()
            .put("inherits", new JsonObject().put("upstream", "users").put("path", "/a"))
            .put("own", new JsonObject().put("upstream", "users").put("path", "/b")
                .put("cache", new JsonObject().put("ttlMs", 100).put("override", true)))
            .put("off", new JsonObject().put("upstream", "users").put("path", "/c").put("cache", false))
            .put("posts", new JsonObject().put("upstream", "users").put("path", "/d").put("method", "POST"))
            .put("sql", new JsonObject().put("query", "user_by_id").put("params", new JsonArray().add("{id}")))));
    assertEquals(Optional.of(new CachePolicy(5000, 0, 60_000, CacheConfig.DEFAULT_MAX_ENTRIES, false)),
        cacheOf(config, "inherits"));
    assertEquals(Optional.of(new CachePolicy(100, 0, 60_000, CacheConfig.DEFAULT_MAX_ENTRIES, true)),
        cacheOf(config, "own"));
    assertEquals(Optional.empty(), cacheOf(config, "off"));
    assertEquals(Optional.empty(), cacheOf(config, "posts"), "an upstream's default caches its GETs only");
    assertEquals(Optional.empty(), cacheOf(config, "sql"), "a SQL source has no upstream to inherit from");
  }

  @Test
  void aCacheOnAPostSourceIsRefusedWithTheFix() {
    List<String> problems = problems(tree(new JsonObject(), new JsonObject()
        .put("create", new JsonObject().put("upstream", "users").put("path", "/a").put("method", "POST")
            .put("cache", new JsonObject()))));
    assertEquals(List.of("aggregates.dashboard.sources.create.cache: only a GET without a body is cached (a POST "
        + "changes or asks something new each time); remove cache or make the source a GET"), problems);
  }

  @Test
  void anUnknownCacheKeyAndAValueOfTheWrongTypeAreNamed() {
    List<String> problems = problems(tree(new JsonObject().put("cache", "yes"), new JsonObject()
        .put("a", new JsonObject().put("upstream", "users").put("path", "/a")
            .put("cache", new JsonObject().put("ttl", 5).put("maxEntries", 0)))));
    assertTrue(problems.contains("upstreams.users.cache = yes: expected false or an object such as {\"ttlMs\": 30000, "
        + "\"staleIfErrorMs\": 600000}"), problems.toString());
    assertTrue(problems.stream().anyMatch(p -> p.startsWith("aggregates.dashboard.sources.a.cache.ttl: unknown key; "
        + "keys here are maxEntries, override, staleIfErrorMs, staleWhileRevalidateMs, ttlMs")), problems.toString());
    assertTrue(problems.stream().anyMatch(p -> p.startsWith("aggregates.dashboard.sources.a.cache.maxEntries = 0: "
        + "out of range")), problems.toString());
  }

  @Test
  void theTopLevelSectionSaysWhereAnswersLive() {
    GatherConfig config = GatherConfig.from(new JsonObject().put("cache", new JsonObject()
        .put("redisUrl", "redis://cache:6379").put("maxBytes", 1_048_576).put("redisTimeoutMs", 20)));
    assertEquals(new CacheStoreConfig(Optional.of("redis://cache:6379"), "gather:cache:", 20, 1_048_576),
        config.cache());
    assertEquals(new CacheStoreConfig(Optional.empty(), "gather:cache:", 100, 67_108_864),
        GatherConfig.from(new JsonObject()).cache());
    List<String> problems = problems(new JsonObject().put("cache", new JsonObject().put("redisUrl", "cache:6379")));
    assertTrue(problems.get(0).startsWith("cache.redisUrl = \"cache:6379\": not a Redis URL"), problems.toString());
  }
}
