package dev.gather.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gather.Await;
import dev.gather.RunningGather;
import dev.gather.TestRedis;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisAPI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Redis second level with a real Redis: two gathers (two Vert.x instances, each with its own memory level)
 * share answers through it; an unreachable or stopped Redis leaves each gather caching in memory, with no error.
 */
class RedisCacheTest {
  private static Vertx servers;
  private static HttpServer upstream;
  private static RedisAPI redis;
  private static Redis redisClient;
  private static final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();

  @BeforeAll
  static void start() throws Exception {
    servers = Vertx.vertx();
    upstream = CountingUpstream.start(servers, calls);
    redisClient = Redis.createClient(servers, TestRedis.sharedUrl());
    redis = RedisAPI.api(redisClient);
  }

  @AfterAll
  static void stop() throws Exception {
    redisClient.close();
    servers.close().await(10, TimeUnit.SECONDS);
  }

  /** An aggregate per path, each source cached for a minute, the second level at {@code redisUrl}. */
  private static JsonObject config(String redisUrl, String prefix, String... paths) {
    JsonObject aggregates = new JsonObject();
    for (String path : paths) {
      aggregates.put(path.substring(1), new JsonObject().put("deadlineMs", 3000).put("sources", new JsonObject()
          .put("item", new JsonObject().put("upstream", "test").put("path", path)
              .put("cache", new JsonObject().put("ttlMs", 60_000)))));
    }
    return new JsonObject()
        .put("cache", new JsonObject().put("redisUrl", redisUrl).put("redisPrefix", prefix).put("redisTimeoutMs", 200))
        .put("upstreams", new JsonObject().put("test", new JsonObject()
            .put("url", "http://127.0.0.1:" + upstream.actualPort())))
        .put("aggregates", aggregates);
  }

  private static JsonObject item(RunningGather app, String path) throws Exception {
    HttpResponse<Buffer> response = app.client.get("/aggregate" + path).send().await(5, TimeUnit.SECONDS);
    assertEquals(200, response.statusCode(), response.bodyAsString());
    return response.bodyAsJsonObject();
  }

  private static boolean cached(JsonObject answer) {
    return answer.getJsonObject("sources").getJsonObject("item").getBoolean("cached");
  }

  private static int redisKeys(String prefix) throws Exception {
    return redis.keys(prefix + "*").await(5, TimeUnit.SECONDS).size();
  }

  private static String prefix() {
    return "gather-test:" + UUID.randomUUID() + ":";
  }

  @Test
  void twoGathersShareACachedAnswerThroughRedis() throws Exception {
    String prefix = prefix();
    JsonObject config = config(TestRedis.sharedUrl(), prefix, "/shared");
    try (RunningGather one = RunningGather.start(config); RunningGather two = RunningGather.startOn(one.databaseUrl,
        config)) {
      JsonObject first = item(one, "/shared");
      assertFalse(cached(first));
      Await.until("the answer to be written to Redis", Duration.ofSeconds(5), () -> redisKeys(prefix) == 1);
      JsonObject fromRedis = item(two, "/shared");
      assertTrue(cached(fromRedis), "the other gather's answer, through Redis: " + fromRedis.encode());
      assertTrue(fromRedis.getJsonObject("sources").getJsonObject("item").getLong("ageMs") >= 0);
      assertEquals(first.getJsonObject("data"), fromRedis.getJsonObject("data"));
      assertEquals(1, calls.get("/shared").get(), "one upstream call for both gathers");
    } finally {
      List<String> keys = redis.keys(prefix + "*").await(5, TimeUnit.SECONDS).stream().map(Object::toString).toList();
      if (!keys.isEmpty()) {
        redis.del(keys).await(5, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void aPurgeRemovesTheAnswerFromRedisSoNoGatherGetsItThere() throws Exception {
    String prefix = prefix();
    JsonObject config = config(TestRedis.sharedUrl(), prefix, "/purged");
    try (RunningGather one = RunningGather.start(config); RunningGather two = RunningGather.startOn(one.databaseUrl,
        config)) {
      item(one, "/purged");
      Await.until("the answer to be written to Redis", Duration.ofSeconds(5), () -> redisKeys(prefix) == 1);
      HttpResponse<Buffer> purged = one.client.delete("/admin/cache?upstream=test&pathPrefix=/purged").send()
          .await(5, TimeUnit.SECONDS);
      assertEquals(new JsonObject().put("memory", 1).put("redis", 1), purged.bodyAsJsonObject().getJsonObject("purged"));
      assertEquals(0, redisKeys(prefix));
      assertFalse(cached(item(two, "/purged")), "nothing left in Redis for the other gather");
      assertEquals(2, calls.get("/purged").get());
    }
  }

  @Test
  void withRedisUnreachableTheCacheIsMemoryOnlyAndNothingFails() throws Exception {
    int closed = RunningGather.freePort(); // nothing listens there
    try (RunningGather app = RunningGather.start(config("redis://127.0.0.1:" + closed, prefix(), "/unreachable"))) {
      long began = System.nanoTime();
      assertFalse(cached(item(app, "/unreachable")));
      assertTrue(cached(item(app, "/unreachable")), "kept in memory");
      assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began) < 2000, "no hang");
      assertEquals(1, calls.get("/unreachable").get());
      assertTrue(app.registry.get("gather.cache.redis.failures").counter().count() >= 1);
    }
  }

  @Test
  void whenItsRedisStopsAGatherGoesOnCachingInMemory() throws Exception {
    try (TestRedis own = TestRedis.startPrivate();
        RunningGather app = RunningGather.start(config(own.url(), prefix(), "/before", "/after"))) {
      item(app, "/before");
      own.close();
      assertTrue(cached(item(app, "/before")), "still in memory");
      assertFalse(cached(item(app, "/after")));
      assertTrue(cached(item(app, "/after")));
      assertEquals(1, calls.get("/after").get());
      assertTrue(app.registry.get("gather.cache.redis.failures").counter().count() >= 1);
    }
  }
}
