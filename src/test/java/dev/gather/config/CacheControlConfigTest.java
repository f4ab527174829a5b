package dev.gather.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** An aggregate's {@code cacheControl}, checked directive by directive when the config is read. */
class CacheControlConfigTest {

  private static JsonObject tree(Object cacheControl, String path) {
    return new JsonObject()
        .put("upstreams", new JsonObject().put("users", new JsonObject().put("url", "http://127.0.0.1:9000")))
        .put("aggregates", new JsonObject().put("me", new JsonObject().put("path", "/aggregate/me/:userId")
            .put("cacheControl", cacheControl)
            .put("sources", new JsonObject().put("profile", new JsonObject().put("upstream", "users")
                .put("path", path)))));
  }

  private static List<String> problems(Object cacheControl) {
    return assertThrows(ConfigException.class, () -> GatherConfig.from(tree(cacheControl, "/users/{userId}")))
        .problems();
  }

  @Test
  void aValidValueIsKeptNormalised() {
    AggregateConfig me = GatherConfig.from(tree("Private,max-age=30 ,  stale-while-revalidate=5", "/users/{userId}"))
        .aggregates().get("me");
    assertEquals(Optional.of("private, max-age=30, stale-while-revalidate=5"), me.cacheControl());
  }

  @Test
  void withoutTheKeyNothingIsSaid() {
    JsonObject tree = tree("x", "/users/{userId}");
    tree.getJsonObject("aggregates").getJsonObject("me").remove("cacheControl");
    assertEquals(Optional.empty(), GatherConfig.from(tree).aggregates().get("me").cacheControl());
  }

  @Test
  void anUnknownDirectiveIsNamedWithTheOnesThatExist() {
    List<String> problems = problems("private, max_age=30");
    assertEquals(1, problems.size(), problems.toString());
    assertTrue(problems.get(0).startsWith("aggregates.me.cacheControl = \"private, max_age=30\": \"max_age=30\" is "
        + "not a response directive; use max-age=N, s-maxage=N"), problems.get(0));
  }

  @Test
  void aDirectiveThatNeedsSecondsWithoutThemIsNamed() {
    assertEquals(List.of("aggregates.me.cacheControl = \"max-age\": max-age needs a number of seconds, e.g. max-age=30"),
        problems("max-age"));
  }

  @Test
  void aDirectiveThatTakesNoValueWithOneIsNamed() {
    assertEquals(List.of("aggregates.me.cacheControl = \"no-store=1\": no-store takes no value; write it alone"),
        problems("no-store=1"));
  }

  @Test
  void publicAndPrivateTogetherAreRefused() {
    assertEquals(List.of("aggregates.me.cacheControl = \"public, private\": public and private contradict each "
        + "other; keep one"), problems("public, private"));
  }

  @Test
  void aValueThatIsNotTextIsRefused() {
    assertEquals(List.of("aggregates.me.cacheControl = 30: expected a non-empty string"), problems(30));
  }

  @Test
  void anAnswerBuiltFromTheCallersClaimsCannotBePublic() {
    List<String> problems = assertThrows(ConfigException.class,
        () -> GatherConfig.from(tree("public, max-age=60", "/users/{jwt.sub}"))).problems();
    assertTrue(problems.contains("aggregates.me.cacheControl = \"public, max-age=60\": the aggregate reads the "
        + "caller's token claims ({jwt.…}), so its answer differs by caller and a shared cache must not keep it; use "
        + "\"private, max-age=…\""), problems.toString());
  }
}
