package dev.gather.config;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

/** Auth config mistakes are named with their key and their fix, and stop the start. */
class AuthConfigTest {

  private static String problems(JsonObject auth) {
    return problemsOf(new JsonObject().put("auth", auth));
  }

  private static String problemsOf(JsonObject tree) {
    return String.join("\n", assertThrows(ConfigException.class, () -> GatherConfig.from(tree)).problems());
  }

  private static JsonObject jwks() {
    return new JsonObject().put("jwksUrl", "https://idp.example/jwks.json");
  }

  @Test
  void algNoneIsNeverAllowed() {
    assertTrue(problems(new JsonObject().put("jwt", jwks().put("algorithms", new JsonArray().add("none"))))
        .contains("auth.jwt.algorithms: \"none\" is never allowed"));
  }

  @Test
  void hsAlgorithmsAndPublicKeysNeverMix() {
    assertTrue(problems(new JsonObject().put("jwt", jwks().put("algorithms", new JsonArray().add("HS256"))))
        .contains("auth.jwt.algorithms: \"HS256\" does not fit the keys"));
    assertTrue(problems(new JsonObject().put("jwt", jwks().put("secret", "x".repeat(40))))
        .contains("auth.jwt.secret: set together with public keys or a JWKS"));
  }

  @Test
  void aShortSecretIsRefused() {
    assertTrue(problems(new JsonObject().put("jwt", new JsonObject().put("secret", "short")))
        .contains("auth.jwt.secret: shorter than 32 bytes"));
  }

  @Test
  void healthCannotBeClosed() {
    assertTrue(problems(new JsonObject().put("routes", new JsonObject().put("health",
        new JsonObject().put("policy", "required")))).contains("auth.routes.health: health probes are always open"));
  }

  @Test
  void aRequiredPolicyWithoutAnyCredentialsIsRefused() {
    assertTrue(problems(new JsonObject().put("routes", new JsonObject().put("users",
        new JsonObject().put("policy", "required")))).contains("auth.routes.users.policy = \"required\": no credentials"));
  }

  @Test
  void anApiKeyHashMustBeSha256Hex() {
    assertTrue(problems(new JsonObject().put("apiKeys", new JsonObject().put("ci", new JsonObject()
        .put("sha256", "plain-key")))).contains("auth.apiKeys.ci.sha256: not a SHA-256"));
  }

  @Test
  void anAggregateReadingAClaimMustRequireAToken() {
    JsonObject tree = new JsonObject()
        .put("auth", new JsonObject().put("jwt", jwks()))
        .put("upstreams", new JsonObject().put("u", new JsonObject().put("url", "http://127.0.0.1:1")))
        .put("aggregates", new JsonObject().put("me", new JsonObject().put("sources", new JsonObject()
            .put("p", new JsonObject().put("upstream", "u").put("path", "/users/{jwt.sub}")))));
    assertTrue(problemsOf(tree).contains("aggregates.me: reads {jwt.sub} but its policy is not \"required\""));
    tree.getJsonObject("aggregates").getJsonObject("me").put("auth", new JsonObject().put("policy", "required"));
    GatherConfig.from(tree);
  }
}
