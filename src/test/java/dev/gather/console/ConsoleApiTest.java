package dev.gather.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gather.Await;
import dev.gather.RunningGather;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The console's data routes without a browser: guarded by the admin policy, free of secrets, recording requests
 * only while a page follows it live, and bounded in live pages. One gather whose config is full of secrets.
 */
class ConsoleApiTest {
  private static final String KEY = "ops-console-key-123";
  private static final String SECRET = "s3cret";
  private static RunningGather gather;

  @BeforeAll
  static void start() throws Exception {
    int demoPort = RunningGather.freePort();
    String hash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(KEY.getBytes(StandardCharsets.UTF_8)));
    JsonObject config = new JsonObject()
        .put("demo", new JsonObject().put("enabled", true).put("host", "127.0.0.1").put("port", demoPort))
        .put("console", new JsonObject().put("maxViewers", 1).put("pushMs", 200))
        .put("cache", new JsonObject().put("redisUrl", "redis://:" + SECRET + "-redis@127.0.0.1:1"))
        .put("auth", new JsonObject()
            .put("apiKeys", new JsonObject().put("ops", new JsonObject().put("sha256", hash)))
            .put("routes", new JsonObject().put("admin", new JsonObject().put("policy", "required"))))
        .put("upstreams", new JsonObject().put("demo", new JsonObject().put("url", "http://127.0.0.1:" + demoPort)))
        .put("aggregates", new JsonObject().put("me", new JsonObject()
            .put("path", "/aggregate/me")
            .put("sources", new JsonObject().put("profile", new JsonObject().put("upstream", "demo")
                .put("path", "/users/1")
                .put("headers", new JsonObject().put("Authorization", "Bearer " + SECRET + "-header"))))));
    gather = RunningGather.start(config);
  }

  @AfterAll
  static void stop() throws Exception {
    gather.close();
  }

  @Test
  void theConsoleDataNeedsTheAdminRoutesCredentialsWhenItHasNoPolicyOfItsOwn() throws Exception {
    assertEquals(401, get("/console/api/overview", null).statusCode());
    assertEquals(200, get("/console/api/overview", KEY).statusCode());
    assertEquals(200, get("/console", null).statusCode(), "the page itself is code, not data");
  }

  @Test
  void noConsoleViewShowsASecretFromTheConfig() throws Exception {
    gather.client.get("/aggregate/me").send().await(10, TimeUnit.SECONDS);
    for (String path : List.of("/console/api/overview", "/console/api/aggregates", "/console/api/upstreams",
        "/console/api/jobs")) {
      HttpResponse<Buffer> response = get(path, KEY);
      assertEquals(200, response.statusCode(), path);
      assertFalse(response.bodyAsString().contains(SECRET), path + " shows a secret: " + response.bodyAsString());
    }
    JsonObject overview = get("/console/api/overview", KEY).bodyAsJsonObject();
    assertEquals("down", overview.getJsonObject("redis").getJsonObject("cache").getString("state"),
        "the cache's Redis is named by its feature and state only");
  }

  @Test
  void anAggregateRequestIsRecordedOnlyWhileAPageFollowsTheConsoleLive() throws Exception {
    int before = recent();
    assertEquals(200, gather.client.get("/aggregate/me").send().await(10, TimeUnit.SECONDS).statusCode());
    assertEquals(before, recent(), "nobody watched: nothing recorded");

    HttpClient http = gather.vertx.createHttpClient();
    try {
      HttpClientResponse stream = openStream(http);
      assertEquals(200, stream.statusCode());
      assertEquals(200, gather.client.get("/aggregate/me").send().await(10, TimeUnit.SECONDS).statusCode());
      // Recorded once answered: the record may land just after the client has its answer.
      Await.until("the watched request to be recorded", Duration.ofSeconds(10), () -> recent() == before + 1);
    } finally {
      http.close().await(5, TimeUnit.SECONDS);
    }
    Await.until("the stream to be gone", Duration.ofSeconds(10),
        () -> get("/console/api/overview", KEY).bodyAsJsonObject().getInteger("viewers") == 0);
    gather.client.get("/aggregate/me").send().await(10, TimeUnit.SECONDS);
    assertEquals(before + 1, recent(), "nobody watches again: nothing more recorded");
  }

  @Test
  void aLivePageBeyondMaxViewersGets503() throws Exception {
    HttpClient http = gather.vertx.createHttpClient();
    try {
      assertEquals(200, openStream(http).statusCode());
      HttpResponse<Buffer> refused = get("/console/api/events", KEY);
      assertEquals(503, refused.statusCode());
      assertEquals("application/problem+json", refused.getHeader("Content-Type"));
      assertTrue(refused.bodyAsJsonObject().getString("detail").contains("console.maxViewers"));
    } finally {
      http.close().await(5, TimeUnit.SECONDS);
    }
    Await.until("the stream to be gone", Duration.ofSeconds(10),
        () -> get("/console/api/overview", KEY).bodyAsJsonObject().getInteger("viewers") == 0);
  }

  private static HttpClientResponse openStream(HttpClient http) throws Exception {
    return http.request(new RequestOptions().setMethod(HttpMethod.GET).setHost("127.0.0.1").setPort(gather.port)
            .setURI("/console/api/events").putHeader("X-Api-Key", KEY))
        .compose(request -> request.send())
        .await(10, TimeUnit.SECONDS);
  }

  private static int recent() throws Exception {
    JsonObject aggregates = get("/console/api/aggregates", KEY).bodyAsJsonObject();
    return aggregates.getJsonArray("aggregates").getJsonObject(0).getJsonArray("recent").size();
  }

  private static HttpResponse<Buffer> get(String path, String key) throws Exception {
    var request = gather.client.get(path);
    if (key != null) {
      request.putHeader("X-Api-Key", key);
    }
    return request.send().await(10, TimeUnit.SECONDS);
  }
}
