package dev.gather.auth;

import static dev.gather.auth.TestTokens.claims;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gather.RunningGather;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.security.KeyPair;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Keys written in config rather than fetched: PEM public keys (one RSA, one EC) in one gather, an HS256 secret in
 * another. The PEM gather also forwards the token's subject to a real upstream as a header.
 */
class KeysFromConfigTest {
  private static final String SECRET = "a-test-secret-that-is-long-enough-0123456789";

  private static Vertx side;
  private static HttpServer upstream;
  private static RunningGather pemGather;
  private static RunningGather secretGather;
  private static KeyPair rsa;
  private static KeyPair ec;
  private static final List<String> upstreamUsers = new CopyOnWriteArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    rsa = TestTokens.rsaKeys();
    ec = TestTokens.ecKeys();
    side = Vertx.vertx();
    upstream = side.createHttpServer().requestHandler(req -> {
      upstreamUsers.add(String.valueOf(req.getHeader("X-User")));
      req.response().putHeader("Content-Type", "application/json")
          .end(new JsonObject().put("user", req.getHeader("X-User")).encode());
    }).listen(0, "127.0.0.1").await(5, TimeUnit.SECONDS);

    JsonObject routes = new JsonObject().put("users", new JsonObject().put("policy", "required"));
    pemGather = RunningGather.start(new JsonObject()
        .put("upstreams", new JsonObject().put("profiles", new JsonObject()
            .put("url", "http://127.0.0.1:" + upstream.actualPort()).put("timeoutMs", 2000)))
        .put("aggregates", new JsonObject().put("me", new JsonObject().put("path", "/aggregate/me")
            .put("auth", new JsonObject().put("policy", "required"))
            .put("sources", new JsonObject().put("profile", new JsonObject().put("upstream", "profiles")
                .put("path", "/profile").put("required", true)
                .put("headers", new JsonObject().put("X-User", "{jwt.sub}"))))))
        .put("auth", new JsonObject()
            .put("jwt", new JsonObject()
                .put("publicKeys", new JsonArray().add(TestTokens.pem(rsa)).add(TestTokens.pem(ec)))
                .put("algorithms", new JsonArray().add("RS256").add("ES256"))
                .put("issuer", TestTokens.ISSUER).put("audience", new JsonArray().add(TestTokens.AUDIENCE)))
            .put("routes", routes)));
    secretGather = RunningGather.start(new JsonObject().put("auth", new JsonObject()
        .put("jwt", new JsonObject().put("secret", SECRET).put("issuer", TestTokens.ISSUER)
            .put("audience", new JsonArray().add(TestTokens.AUDIENCE)))
        .put("routes", routes)));
  }

  @AfterAll
  static void stop() throws Exception {
    for (RunningGather app : new RunningGather[] {pemGather, secretGather}) {
      if (app != null) {
        app.close();
      }
    }
    side.close().await(10, TimeUnit.SECONDS);
  }

  @Test
  void anRs256TokenVerifiesAgainstAPemRsaKeyInConfig() throws Exception {
    HttpResponse<Buffer> response = get(pemGather, "/users", TestTokens.rs256(rsa.getPrivate(), null, claims("alice")));
    assertEquals(200, response.statusCode(), response.bodyAsString());
  }

  @Test
  void anEs256TokenVerifiesAgainstAPemEcKeyInConfig() throws Exception {
    HttpResponse<Buffer> response = get(pemGather, "/users", TestTokens.es256(ec.getPrivate(), null, claims("alice")));
    assertEquals(200, response.statusCode(), response.bodyAsString());
  }

  @Test
  void aTokenNamingAKidStillVerifiesAgainstPemKeysWhichHaveNone() throws Exception {
    HttpResponse<Buffer> response = get(pemGather, "/users", TestTokens.rs256(rsa.getPrivate(), "k1", claims("alice")));
    assertEquals(200, response.statusCode(), response.bodyAsString());
  }

  @Test
  void aTokenSignedByAnotherKeyIsRefusedByThePemKeys() throws Exception {
    KeyPair other = TestTokens.rsaKeys();
    HttpResponse<Buffer> response = get(pemGather, "/users", TestTokens.rs256(other.getPrivate(), null, claims("eve")));
    assertEquals(401, response.statusCode());
    assertTrue(response.getHeader("WWW-Authenticate").contains("error=\"invalid_token\""));
  }

  @Test
  void anHs256TokenVerifiesWithTheConfiguredSecret() throws Exception {
    HttpResponse<Buffer> response = get(secretGather, "/users", TestTokens.hs256(SECRET, claims("alice")));
    assertEquals(200, response.statusCode(), response.bodyAsString());
  }

  @Test
  void anHs256TokenMadeWithAnotherSecretIsRefused() throws Exception {
    HttpResponse<Buffer> response = get(secretGather, "/users",
        TestTokens.hs256("another-secret-that-is-long-enough-0123456789", claims("eve")));
    assertEquals(401, response.statusCode());
    assertTrue(response.bodyAsJsonObject().getString("detail").contains("signature"), response.bodyAsString());
  }

  @Test
  void anRs256TokenIsRefusedWhereOnlyASecretIsConfigured() throws Exception {
    HttpResponse<Buffer> response = get(secretGather, "/users", TestTokens.rs256(rsa.getPrivate(), null, claims("eve")));
    assertEquals(401, response.statusCode());
    assertTrue(response.bodyAsJsonObject().getString("detail").contains("RS256"), response.bodyAsString());
  }

  @Test
  void theTokensSubjectIsForwardedUpstreamAsTheHeaderItsTemplateNames() throws Exception {
    HttpResponse<Buffer> response = get(pemGather, "/aggregate/me", TestTokens.es256(ec.getPrivate(), null,
        claims("alice")));
    assertEquals(200, response.statusCode(), response.bodyAsString());
    assertEquals("alice", response.bodyAsJsonObject().getJsonObject("data").getJsonObject("profile").getString("user"));
    assertTrue(upstreamUsers.contains("alice"), upstreamUsers.toString());
  }

  private static HttpResponse<Buffer> get(RunningGather app, String path, String token) throws Exception {
    return app.client.get(path).putHeader("Authorization", "Bearer " + token).send().await(5, TimeUnit.SECONDS);
  }
}
