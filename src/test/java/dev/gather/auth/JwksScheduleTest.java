package dev.gather.auth;

import static dev.gather.auth.TestTokens.claims;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gather.Await;
import dev.gather.RunningGather;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.security.KeyPair;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The JWKS on its schedule, with a real key server in the test: keys rotated in are picked up by the periodic
 * refresh (jwksRefreshMs, short here) with no token asking; a provider that never answers costs a token at most the
 * fetch timeout, and a later fetch that succeeds lets tokens in again.
 */
class JwksScheduleTest {
  private static final long REFRESH_MS = 1000;
  private static final long FETCH_TIMEOUT_MS = 600;

  private Vertx side;
  private HttpServer idp;
  private RunningGather app;
  private KeyPair first;
  private final AtomicReference<JsonObject> jwks = new AtomicReference<>();
  /** While set, the key server takes requests and never answers them. */
  private final AtomicBoolean silent = new AtomicBoolean();
  /** The kids each answered fetch carried ("(silent)" for one not answered), in order. */
  private final List<String> fetches = new CopyOnWriteArrayList<>();

  @BeforeEach
  void startKeyServer() throws Exception {
    first = TestTokens.rsaKeys();
    jwks.set(new JsonObject().put("keys", new JsonArray().add(TestTokens.rsaJwk("rsa-1", first))));
    side = Vertx.vertx();
    idp = side.createHttpServer().requestHandler(req -> {
      if (silent.get()) {
        fetches.add("(silent)");
        return;
      }
      JsonObject set = jwks.get();
      fetches.add(set.getJsonArray("keys").stream().map(k -> ((JsonObject) k).getString("kid")).toList().toString());
      req.response().putHeader("Content-Type", "application/json").end(set.encode());
    }).listen(0, "127.0.0.1").await(5, TimeUnit.SECONDS);
  }

  private void startGather(long refetchMinMs) {
    app = RunningGather.start(new JsonObject()
        .put("http", new JsonObject().put("instances", 1))
        .put("auth", new JsonObject()
            .put("jwt", new JsonObject()
                .put("jwksUrl", "http://127.0.0.1:" + idp.actualPort() + "/jwks.json")
                .put("jwksRefreshMs", REFRESH_MS).put("jwksTimeoutMs", FETCH_TIMEOUT_MS)
                .put("jwksRefetchMinMs", refetchMinMs)
                .put("issuer", TestTokens.ISSUER).put("audience", new JsonArray().add(TestTokens.AUDIENCE)))
            .put("routes", new JsonObject().put("users", new JsonObject().put("policy", "required")))));
  }

  @AfterEach
  void stop() throws Exception {
    if (app != null) {
      app.close();
    }
    side.close().await(10, TimeUnit.SECONDS);
  }

  @Test
  void aRotatedKeyIsUsableAfterTheScheduledRefreshWithNoRefetchByKid() throws Exception {
    startGather(600_000);
    assertEquals(200, get(TestTokens.rs256(first.getPrivate(), "rsa-1", claims("alice"))).statusCode());
    // An unknown kid spends the one refetch jwksRefetchMinMs (10 minutes here) allows: from now on only the schedule
    // can bring in a new key.
    assertEquals(401, get(TestTokens.rs256(first.getPrivate(), "forged", claims("eve"))).statusCode());

    KeyPair next = TestTokens.rsaKeys();
    jwks.set(new JsonObject().put("keys", new JsonArray().add(TestTokens.rsaJwk("rsa-1", first))
        .add(TestTokens.rsaJwk("rsa-2", next))));
    int rotatedAt = fetches.size();
    // One fetch at a time: a fetch that follows the one that brought rsa-2 proves rsa-2 was taken in.
    Await.until("a scheduled fetch after the one that served rsa-2", Duration.ofSeconds(10), () -> {
      List<String> since = fetches.subList(rotatedAt, fetches.size());
      int served = since.indexOf("[rsa-1, rsa-2]");
      return served >= 0 && since.size() > served + 1;
    });
    HttpResponse<Buffer> response = get(TestTokens.rs256(next.getPrivate(), "rsa-2", claims("bob")));
    assertEquals(200, response.statusCode(), response.bodyAsString());
  }

  @Test
  void anUnreachableKeyServerIs503WithinTheFetchTimeoutNeverAHang() throws Exception {
    silent.set(true);
    startGather(60_000);
    long began = System.nanoTime();
    HttpResponse<Buffer> response = get(TestTokens.rs256(first.getPrivate(), "rsa-1", claims("alice")));
    long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began);

    assertEquals(503, response.statusCode(), response.bodyAsString());
    assertEquals("application/problem+json", response.getHeader("Content-Type"));
    assertTrue(tookMs < FETCH_TIMEOUT_MS + 1000, "answered after " + tookMs + " ms");
    assertNotNull(response.getHeader("Retry-After"));
    long retryAfter = Long.parseLong(response.getHeader("Retry-After"));
    assertTrue(retryAfter >= 1 && retryAfter <= 60, "Retry-After " + retryAfter);
    assertTrue(response.bodyAsJsonObject().getString("detail").contains("auth.jwt.jwksUrl"), response.bodyAsString());
    assertFalse(response.headers().contains("WWW-Authenticate"), "the token was not found bad");
  }

  @Test
  void aLaterSuccessfulFetchHealsIt() throws Exception {
    silent.set(true);
    startGather(60_000);
    String token = TestTokens.rs256(first.getPrivate(), "rsa-1", claims("alice"));
    assertEquals(503, get(token).statusCode());

    silent.set(false);
    // The schedule fetches again within jwksRefreshMs; no token has to ask (they may not: 60 s between their fetches).
    Await.until("the key server to answer a scheduled fetch", Duration.ofSeconds(10),
        () -> fetches.contains("[rsa-1]"));
    Await.until("the token to be accepted", Duration.ofSeconds(5), () -> get(token).statusCode() == 200);
  }

  private HttpResponse<Buffer> get(String token) throws Exception {
    return app.client.get("/users").putHeader("Authorization", "Bearer " + token).send().await(10, TimeUnit.SECONDS);
  }
}
