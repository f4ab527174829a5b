package dev.gather.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gather.RunningGather;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Cached sources in a running gather (memory only), against loopback upstreams that count their calls. Each test
 * has paths (and aggregates) of its own, so the answers one test caches never serve another.
 */
class CachedSourcesTest {
  private static final String ADMIN_KEY = "admin-key-of-the-cache-test";
  private static Vertx servers;
  private static HttpServer upstream;
  private static HttpServer fragile;
  private static RunningGather app;
  private static final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
  private static final AtomicBoolean failing = new AtomicBoolean();
  private static final AtomicBoolean hanging = new AtomicBoolean();

  @BeforeAll
  static void start() throws Exception {
    servers = Vertx.vertx();
    upstream = servers.createHttpServer().requestHandler(request -> {
      String path = request.path();
      int n = calls.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
      var response = request.response().putHeader("Content-Type", "application/json");
      if (path.equals("/no-store")) {
        response.putHeader("Cache-Control", "no-store").end("{\"call\":" + n + "}");
      } else if (path.equals("/whoami")) {
        response.end(new JsonObject().put("caller", request.getHeader("Authorization")).put("call", n).encode());
      } else if (path.equals("/flaky") && failing.get()) {
        response.setStatusCode(503).end();
      } else if (path.equals("/slow") && hanging.get()) {
        return; // never answers: the call times out
      } else {
        response.end("{\"path\":\"" + path + "\",\"call\":" + n + "}");
      }
    }).listen(0, "127.0.0.1").await(5, TimeUnit.SECONDS);
    fragile = servers.createHttpServer().requestHandler(request -> {
      calls.computeIfAbsent("fragile" + request.path(), p -> new AtomicInteger()).incrementAndGet();
      request.response().putHeader("Content-Type", "application/json").end("{\"fragile\":true}");
    }).listen(0, "127.0.0.1").await(5, TimeUnit.SECONDS);

    JsonObject cached = new JsonObject().put("ttlMs", 60_000);
    // ttlMs 0: always ask, but keep the last answer for when asking fails.
    JsonObject staleOnly = new JsonObject().put("ttlMs", 0).put("staleIfErrorMs", 600_000);
    JsonObject config = new JsonObject()
        .put("upstreams", new JsonObject()
            .put("test", upstream(upstream.actualPort()))
            .put("slowish", upstream(upstream.actualPort()).put("timeoutMs", 300))
            .put("secured", upstream(upstream.actualPort()).put("forwardHeaders", new JsonArray().add("Authorization")))
            .put("purgeable", upstream(upstream.actualPort()).put("cache", cached.copy()))
            .put("fragile", upstream(fragile.actualPort())))
        .put("queries", new JsonObject().put("answer", "SELECT 42 AS answer, clock_timestamp()::text AS at"))
        .put("aggregates", new JsonObject()
            .put("ttl", aggregate(new JsonObject().put("item", source("test", "/ttl").put("cache", cached))))
            .put("counted", aggregate(new JsonObject().put("item", source("test", "/counted").put("cache", cached))))
            .put("flaky", aggregate(new JsonObject().put("item", source("test", "/flaky").put("cache", staleOnly)
                .put("required", true))))
            .put("slow", aggregate(new JsonObject().put("item", source("slowish", "/slow").put("cache", staleOnly))))
            .put("fragile", aggregate(new JsonObject().put("item", source("fragile", "/item").put("cache", staleOnly))))
            .put("nostore", aggregate(new JsonObject().put("item", source("test", "/no-store").put("cache", cached))))
            .put("whoami", aggregate(new JsonObject().put("me", source("secured", "/whoami").put("cache", cached))))
            .put("purge", aggregate(new JsonObject()
                .put("a", source("purgeable", "/a/1"))
                .put("b", source("purgeable", "/b/1"))
                .put("off", source("purgeable", "/off").put("cache", false))))
            .put("sql", aggregate(new JsonObject().put("row", new JsonObject().put("query", "answer")
                .put("one", true).put("cache", cached)))))
        .put("auth", new JsonObject()
            .put("apiKeys", new JsonObject().put("ops", new JsonObject().put("sha256", sha256(ADMIN_KEY))))
            .put("routes", new JsonObject().put("admin", new JsonObject().put("policy", "required"))));
    app = RunningGather.start(config);
  }

  @AfterAll
  static void stop() throws Exception {
    if (app != null) {
      app.close();
    }
    servers.close().await(10, TimeUnit.SECONDS);
  }

  private static JsonObject upstream(int port) {
    return new JsonObject().put("url", "http://127.0.0.1:" + port).put("timeoutMs", 2000);
  }

  private static JsonObject source(String upstream, String path) {
    return new JsonObject().put("upstream", upstream).put("path", path);
  }

  private static JsonObject aggregate(JsonObject sources) {
    return new JsonObject().put("deadlineMs", 3000).put("sources", sources);
  }

  private static JsonObject get(String aggregate) throws Exception {
    return get(aggregate, null);
  }

  private static JsonObject get(String aggregate, String authorization) throws Exception {
    var request = app.client.get("/aggregate/" + aggregate);
    if (authorization != null) {
      request.putHeader("Authorization", authorization);
    }
    HttpResponse<Buffer> response = request.send().await(5, TimeUnit.SECONDS);
    assertEquals(200, response.statusCode(), response.bodyAsString());
    return response.bodyAsJsonObject();
  }

  private static int calls(String path) {
    return calls.getOrDefault(path, new AtomicInteger()).get();
  }

  private static JsonObject outcome(JsonObject answer, String source) {
    return answer.getJsonObject("sources").getJsonObject(source);
  }

  @Test
  void aCachedSourceMakesOneUpstreamCallForAHundredRequestsWithinItsTtl() throws Exception {
    JsonObject first = get("ttl");
    assertFalse(outcome(first, "item").getBoolean("cached"));
    assertNull(outcome(first, "item").getValue("ageMs"), "ageMs only when served from the cache");
    List<Future<HttpResponse<Buffer>>> more = new ArrayList<>();
    for (int i = 0; i < 99; i++) {
      more.add(app.client.get("/aggregate/ttl").send());
    }
    for (Future<HttpResponse<Buffer>> response : more) {
      JsonObject answer = response.await(5, TimeUnit.SECONDS).bodyAsJsonObject();
      assertEquals(first.getJsonObject("data"), answer.getJsonObject("data"));
      JsonObject item = outcome(answer, "item");
      assertTrue(item.getBoolean("cached"), item.encode());
      assertFalse(item.getBoolean("stale"));
      assertEquals(0, item.getInteger("attempts"));
      assertTrue(item.getLong("ageMs") >= 0);
    }
    assertEquals(1, calls("/ttl"), "100 requests, 1 upstream call");
  }

  @Test
  void whenTheUpstreamAnswers5xxTheStaleAnswerIsServedAndSaysSo() throws Exception {
    failing.set(false);
    JsonObject fresh = get("flaky");
    failing.set(true);
    JsonObject stale = get("flaky");
    assertEquals(fresh.getJsonObject("data"), stale.getJsonObject("data"));
    assertTrue(stale.getBoolean("complete"));
    assertTrue(stale.getJsonObject("errors").isEmpty());
    JsonObject item = outcome(stale, "item");
    assertTrue(item.getBoolean("cached"));
    assertTrue(item.getBoolean("stale"));
    assertTrue(item.getLong("ageMs") >= 0);
    assertEquals(1, item.getInteger("attempts"), "the call that failed is still told");
    assertEquals(2, calls("/flaky"), "the stale answer came after a call that failed");
    failing.set(false);
  }

  @Test
  void whenTheUpstreamIsDownTheStaleAnswerIsServed() throws Exception {
    JsonObject fresh = get("fragile");
    assertFalse(outcome(fresh, "item").getBoolean("stale"));
    fragile.close().await(5, TimeUnit.SECONDS);
    JsonObject stale = get("fragile");
    assertEquals(new JsonObject().put("fragile", true), stale.getJsonObject("data").getJsonObject("item"));
    assertTrue(outcome(stale, "item").getBoolean("stale"));
    assertTrue(outcome(stale, "item").getBoolean("cached"));
  }

  @Test
  void whenTheCallTimesOutTheStaleAnswerIsServed() throws Exception {
    hanging.set(false);
    get("slow");
    hanging.set(true);
    long began = System.nanoTime();
    JsonObject stale = get("slow");
    assertTrue(outcome(stale, "item").getBoolean("stale"));
    assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began) >= 250, "after the 300 ms timeout");
    hanging.set(false);
  }

  @Test
  void anAnswerMarkedNoStoreIsNeverCached() throws Exception {
    for (int i = 1; i <= 3; i++) {
      JsonObject answer = get("nostore");
      assertFalse(outcome(answer, "item").getBoolean("cached"));
      assertEquals(i, answer.getJsonObject("data").getJsonObject("item").getInteger("call"));
    }
    assertEquals(3, calls("/no-store"));
  }

  @Test
  void callersWithDifferentCredentialsNeverShareAnAnswer() throws Exception {
    JsonObject alice = get("whoami", "Bearer alice");
    JsonObject bob = get("whoami", "Bearer bob");
    assertEquals("Bearer alice", alice.getJsonObject("data").getJsonObject("me").getString("caller"));
    assertEquals("Bearer bob", bob.getJsonObject("data").getJsonObject("me").getString("caller"));
    assertFalse(outcome(bob, "me").getBoolean("cached"), "bob did not get alice's answer");
    JsonObject aliceAgain = get("whoami", "Bearer alice");
    JsonObject bobAgain = get("whoami", "Bearer bob");
    assertEquals("Bearer alice", aliceAgain.getJsonObject("data").getJsonObject("me").getString("caller"));
    assertEquals("Bearer bob", bobAgain.getJsonObject("data").getJsonObject("me").getString("caller"));
    assertTrue(outcome(aliceAgain, "me").getBoolean("cached") && outcome(bobAgain, "me").getBoolean("cached"));
    assertEquals(2, calls("/whoami"), "one call per credential");
  }

  @Test
  void aPurgeRemovesTheUpstreamsAnswersUnderThePrefixAndOnlyThem() throws Exception {
    get("purge");
    JsonObject cached = get("purge");
    assertTrue(outcome(cached, "a").getBoolean("cached") && outcome(cached, "b").getBoolean("cached"),
        "the upstream's cache is its sources' default");
    assertFalse(outcome(cached, "off").getBoolean("cached"), "cache: false turns the default off");
    HttpResponse<Buffer> purged = app.client.delete("/admin/cache?upstream=purgeable&pathPrefix=/a/")
        .putHeader("X-Api-Key", ADMIN_KEY).send().await(5, TimeUnit.SECONDS);
    assertEquals(200, purged.statusCode(), purged.bodyAsString());
    assertEquals(new JsonObject().put("upstream", "purgeable").put("pathPrefix", "/a/")
        .put("purged", new JsonObject().put("memory", 1)), purged.bodyAsJsonObject());
    JsonObject after = get("purge");
    assertFalse(outcome(after, "a").getBoolean("cached"));
    assertTrue(outcome(after, "b").getBoolean("cached"));
    assertEquals(2, calls("/a/1"));
    assertEquals(1, calls("/b/1"));
  }

  @Test
  void thePurgeIsProtectedByTheAdminPolicy() throws Exception {
    HttpResponse<Buffer> anonymous = app.client.delete("/admin/cache?upstream=purgeable").send()
        .await(5, TimeUnit.SECONDS);
    assertEquals(401, anonymous.statusCode());
    HttpResponse<Buffer> wrongKey = app.client.delete("/admin/cache?upstream=purgeable")
        .putHeader("X-Api-Key", "guess").send().await(5, TimeUnit.SECONDS);
    assertEquals(401, wrongKey.statusCode());
  }

  @Test
  void aPurgeOfAnUnknownUpstreamIs400NamingTheKnownOnes() throws Exception {
    HttpResponse<Buffer> unknown = app.client.delete("/admin/cache?upstream=nope")
        .putHeader("X-Api-Key", ADMIN_KEY).send().await(5, TimeUnit.SECONDS);
    assertEquals(400, unknown.statusCode());
    assertEquals("application/problem+json", unknown.getHeader("Content-Type"));
    assertTrue(unknown.bodyAsJsonObject().getString("detail").contains("purgeable"), unknown.bodyAsString());
  }

  @Test
  void aCachedSqlSourceAnswersFromTheCache() throws Exception {
    JsonObject first = get("sql");
    JsonObject second = get("sql");
    assertFalse(outcome(first, "row").getBoolean("cached"));
    assertTrue(outcome(second, "row").getBoolean("cached"));
    assertEquals(first.getJsonObject("data").getJsonObject("row"), second.getJsonObject("data").getJsonObject("row"),
        "the same row, clock_timestamp() included: the query did not run again");
  }

  @Test
  void lookupsAreCountedByScopeAndResultInTheMetrics() throws Exception {
    get("counted");
    get("counted");
    String metrics = app.client.get("/metrics").send().await(5, TimeUnit.SECONDS).bodyAsString();
    assertTrue(metrics.contains("gather_cache_lookups_total{result=\"hit\",scope=\"test\"}"), metrics);
    assertTrue(metrics.contains("gather_cache_bytes "), "bytes held");
    assertTrue(metrics.contains("gather_cache_evictions_total "), "evictions");
  }

  private static String sha256(String text) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
  }
}
