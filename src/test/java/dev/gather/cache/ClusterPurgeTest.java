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
 * A purge reaches every gather's memory through Redis's purge channel: two gathers (two Vert.x instances, each
 * with its own memory level) share a Redis; what one purges, the other stops serving from its memory, and nothing
 * else; a gather whose listening connection is killed listens again; with Redis stopped a purge still clears
 * local memory and says it is incomplete. To tell memory from Redis, tests delete the Redis keys themselves, so
 * that whatever a gather still serves as cached comes from its memory.
 */
class ClusterPurgeTest {
  private static Vertx servers;
  private static HttpServer upstream;
  private static final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();

  @BeforeAll
  static void start() throws Exception {
    servers = Vertx.vertx();
    upstream = CountingUpstream.start(servers, calls);
  }

  @AfterAll
  static void stop() throws Exception {
    servers.close().await(10, TimeUnit.SECONDS);
  }

  /**
   * Aggregates {@code a}, {@code b} (upstream {@code test}, paths /{id}/a and /{id}/b) and {@code o} (upstream
   * {@code other}, the same server, /{id}/o), each source cached for a minute; {@code id} keeps tests apart.
   */
  private static JsonObject config(String redisUrl, String prefix, String id) {
    String url = "http://127.0.0.1:" + upstream.actualPort();
    JsonObject aggregates = new JsonObject();
    for (String name : List.of("a", "b", "o")) {
      aggregates.put(name, new JsonObject().put("deadlineMs", 3000).put("sources", new JsonObject()
          .put("item", new JsonObject().put("upstream", name.equals("o") ? "other" : "test")
              .put("path", "/" + id + "/" + name).put("cache", new JsonObject().put("ttlMs", 60_000)))));
    }
    return new JsonObject()
        .put("cache", new JsonObject().put("redisUrl", redisUrl).put("redisPrefix", prefix).put("redisTimeoutMs", 200))
        .put("upstreams", new JsonObject().put("test", new JsonObject().put("url", url))
            .put("other", new JsonObject().put("url", url)))
        .put("aggregates", aggregates);
  }

  private static boolean cached(RunningGather app, String aggregate) throws Exception {
    HttpResponse<Buffer> response = app.client.get("/aggregate/" + aggregate).send().await(5, TimeUnit.SECONDS);
    assertEquals(200, response.statusCode(), response.bodyAsString());
    return response.bodyAsJsonObject().getJsonObject("sources").getJsonObject("item").getBoolean("cached");
  }

  private static HttpResponse<Buffer> purge(RunningGather app, String query) throws Exception {
    return app.client.delete("/admin/cache?" + query).send().await(5, TimeUnit.SECONDS);
  }

  private static int calls(String id, String name) {
    AtomicInteger n = calls.get("/" + id + "/" + name);
    return n == null ? 0 : n.get();
  }

  private static String id() {
    return UUID.randomUUID().toString();
  }

  private static String prefix() {
    return "gather-test:" + UUID.randomUUID() + ":";
  }

  private static long listening(RedisAPI redis, String prefix) throws Exception {
    return redis.pubsub(List.of("NUMSUB", prefix + "purge")).await(5, TimeUnit.SECONDS).get(1).toLong();
  }

  /** The gathers write cached answers to Redis without waiting for it: waits until {@code answers} are there. */
  private static void awaitStored(RedisAPI redis, String prefix, int answers) throws Exception {
    Await.until(answers + " answers to be written to Redis", Duration.ofSeconds(5),
        () -> redis.keys(prefix + "*").await(5, TimeUnit.SECONDS).size() == answers);
  }

  private static void deleteKeys(RedisAPI redis, String prefix) throws Exception {
    List<String> keys = redis.keys(prefix + "*").await(5, TimeUnit.SECONDS).stream().map(Object::toString).toList();
    if (!keys.isEmpty()) {
      redis.del(keys).await(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void aPurgeOnOneGatherMakesTheOtherCallTheUpstreamAgain() throws Exception {
    String prefix = prefix();
    String id = id();
    Redis client = Redis.createClient(servers, TestRedis.sharedUrl());
    RedisAPI redis = RedisAPI.api(client);
    JsonObject config = config(TestRedis.sharedUrl(), prefix, id);
    try (RunningGather one = RunningGather.start(config);
        RunningGather two = RunningGather.startOn(one.databaseUrl, config)) {
      Await.until("both gathers to listen for purges", Duration.ofSeconds(10), () -> listening(redis, prefix) == 2);
      assertFalse(cached(two, "a"));
      assertTrue(cached(two, "a"), "kept in memory");
      assertEquals(1, calls(id, "a"));
      // Written to Redis without waiting for it: landing after the purge, it would be served from there again.
      awaitStored(redis, prefix, 1);

      HttpResponse<Buffer> purged = purge(one, "upstream=test&pathPrefix=/" + id + "/a");
      assertEquals(200, purged.statusCode(), purged.bodyAsString());
      assertEquals(2, purged.bodyAsJsonObject().getLong("replicas"), "both gathers listened: " + purged.bodyAsString());
      Await.until("the other gather to drop its copy", Duration.ofSeconds(5), () -> !cached(two, "a"));
      assertEquals(2, calls(id, "a"), "the other gather asked the upstream again");
    } finally {
      deleteKeys(redis, prefix);
      client.close();
    }
  }

  @Test
  void aPurgeOfAnotherUpstreamOrAnotherPrefixLeavesTheOtherGathersCopy() throws Exception {
    String prefix = prefix();
    String id = id();
    Redis client = Redis.createClient(servers, TestRedis.sharedUrl());
    RedisAPI redis = RedisAPI.api(client);
    JsonObject config = config(TestRedis.sharedUrl(), prefix, id);
    try (RunningGather one = RunningGather.start(config);
        RunningGather two = RunningGather.startOn(one.databaseUrl, config)) {
      Await.until("both gathers to listen for purges", Duration.ofSeconds(10), () -> listening(redis, prefix) == 2);
      for (String name : List.of("a", "b", "o")) {
        assertFalse(cached(two, name));
        assertTrue(cached(two, name));
      }
      awaitStored(redis, prefix, 3);
      deleteKeys(redis, prefix); // from here on, what the other gather serves as cached is in its memory

      assertEquals(200, purge(one, "upstream=other").statusCode());
      assertEquals(200, purge(one, "upstream=test&pathPrefix=/" + id + "/b").statusCode());
      // One connection delivers the messages in order: once the second purge is seen, so was the first.
      Await.until("the other gather to drop /b", Duration.ofSeconds(5), () -> !cached(two, "b"));
      assertFalse(cached(two, "o"), "the other upstream's purge dropped /o");
      assertTrue(cached(two, "a"), "neither purge named /a (another upstream, another prefix)");
      assertEquals(1, calls(id, "a"));
      assertEquals(2, calls(id, "b"));
      assertEquals(2, calls(id, "o"));
    } finally {
      deleteKeys(redis, prefix);
      client.close();
    }
  }

  @Test
  void aGatherWhoseListeningConnectionIsKilledListensAgainAndStillGetsPurges() throws Exception {
    String prefix = prefix();
    String id = id();
    // A Redis of this test's own: killing every pub/sub connection must not touch other tests' gathers.
    try (TestRedis own = TestRedis.startPrivate()) {
      Redis client = Redis.createClient(servers, own.url());
      RedisAPI redis = RedisAPI.api(client);
      JsonObject config = config(own.url(), prefix, id);
      try (RunningGather one = RunningGather.start(config);
          RunningGather two = RunningGather.startOn(one.databaseUrl, config)) {
        Await.until("both gathers to listen for purges", Duration.ofSeconds(10), () -> listening(redis, prefix) == 2);
        long killed = redis.client(List.of("KILL", "TYPE", "pubsub")).await(5, TimeUnit.SECONDS).toLong();
        assertEquals(2, killed);
        Await.until("both gathers to listen again", Duration.ofSeconds(10), () -> listening(redis, prefix) == 2);

        cached(two, "a");
        assertTrue(cached(two, "a"));
        // Written to Redis without waiting for it: landing after the delete, it would outlive the purge there.
        awaitStored(redis, prefix, 1);
        deleteKeys(redis, prefix);
        HttpResponse<Buffer> purged = purge(one, "upstream=test");
        assertEquals(2, purged.bodyAsJsonObject().getLong("replicas"), purged.bodyAsString());
        Await.until("the other gather to drop its copy", Duration.ofSeconds(5), () -> !cached(two, "a"));
      } finally {
        client.close();
      }
    }
  }

  @Test
  void withRedisStoppedAPurgeClearsThisMemoryAndSaysItIsIncomplete() throws Exception {
    String id = id();
    TestRedis own = TestRedis.startPrivate();
    try (RunningGather app = RunningGather.start(config(own.url(), prefix(), id))) {
      assertFalse(cached(app, "a"));
      assertTrue(cached(app, "a"));
      own.close();
      HttpResponse<Buffer> purged = purge(app, "upstream=test");
      assertEquals(503, purged.statusCode(), purged.bodyAsString());
      JsonObject problem = purged.bodyAsJsonObject();
      assertEquals("urn:gather:problem:cache-purge-incomplete", problem.getString("type"));
      assertEquals(new JsonObject().put("memory", 1), problem.getJsonObject("purged"));
      assertFalse(problem.containsKey("replicas"), "Redis passed it to nobody: " + problem.encode());
      assertFalse(cached(app, "a"), "this gather's memory was purged");
      assertEquals(2, calls(id, "a"));
    } finally {
      own.close();
    }
  }
}
