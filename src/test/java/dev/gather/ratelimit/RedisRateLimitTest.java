package dev.gather.ratelimit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gather.RunningGather;
import dev.gather.TestRedis;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Buckets in a real Redis: shared by replicas, and what happens when Redis is gone or silent. */
class RedisRateLimitTest {

  /** {@code GET /} limited to {@code burst} per (practically) forever, buckets in Redis at {@code url}. */
  private static JsonObject limited(String url, long burst, boolean failOpen) {
    return new JsonObject().put("rateLimit", new JsonObject()
        .put("redisUrl", url)
        // A prefix of this run's own: buckets from earlier runs must not count, nor other tests' buckets.
        .put("redisPrefix", "gather-test:" + UUID.randomUUID() + ":")
        .put("failOpen", failOpen)
        .put("redisTimeoutMs", 300)
        .put("routes", new JsonObject().put("info", new JsonObject().put("perSecond", 0.001).put("burst", burst))));
  }

  private static HttpResponse<Buffer> root(RunningGather app) throws Exception {
    return app.client.get("/").send().await(5, TimeUnit.SECONDS);
  }

  @Test
  void twoGathersSharingARedisShareOneLimitPerCaller() throws Exception {
    JsonObject config = limited(TestRedis.sharedUrl(), 4, true);
    try (RunningGather one = RunningGather.start(config);
        RunningGather two = RunningGather.startOn(one.databaseUrl, config)) {
      List<Integer> statuses = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        statuses.add(root(one).statusCode());
        statuses.add(root(two).statusCode());
      }
      assertEquals(List.of(200, 200, 200, 200, 429, 429), statuses, "4 tokens in all, not 4 per gather");
      HttpResponse<Buffer> refused = root(two);
      assertEquals("\"info\";r=0;t=" + refused.getHeader("Retry-After"), refused.getHeader("RateLimit"));
    }
  }

  @Test
  void whenRedisStopsAFailOpenGatherLetsRequestsThroughAndCountsIt() throws Exception {
    try (TestRedis redis = TestRedis.startPrivate(); RunningGather app = RunningGather.start(limited(redis.url(), 100, true))) {
      assertNotNull(root(app).getHeader("RateLimit"), "the bucket is in Redis while it runs");
      redis.close();
      long began = System.nanoTime();
      HttpResponse<Buffer> passed = root(app);
      assertEquals(200, passed.statusCode());
      assertNull(passed.getHeader("RateLimit"), "no bucket was consulted");
      assertTrue(System.nanoTime() - began < TimeUnit.SECONDS.toNanos(2), "no hang");
      assertTrue(app.registry.get("gather_ratelimit_requests").tags("policy", "info", "outcome", "failed_open")
          .counter().count() >= 1);
      assertTrue(app.registry.get("gather_ratelimit_store_failures").counter().count() >= 1);
    }
  }

  @Test
  void whenRedisStopsAFailClosedGatherAnswers503ProblemJson() throws Exception {
    try (TestRedis redis = TestRedis.startPrivate(); RunningGather app = RunningGather.start(limited(redis.url(), 100, false))) {
      assertEquals(200, root(app).statusCode());
      redis.close();
      HttpResponse<Buffer> refused = root(app);
      assertEquals(503, refused.statusCode());
      assertEquals("urn:gather:problem:rate-limit-unavailable", refused.bodyAsJsonObject().getString("type"));
      assertNull(refused.getHeader("Retry-After"), "nobody knows when Redis is back");
    }
  }

  @Test
  void aRedisThatNeverAnswersCostsTheTimeoutAndNoMore() throws Exception {
    try (ServerSocket silent = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
      List<Socket> held = new ArrayList<>();
      Thread acceptor = new Thread(() -> {
        try {
          while (true) {
            held.add(silent.accept()); // accepted, never answered
          }
        } catch (Exception closed) {
          // the test is over
        }
      });
      acceptor.setDaemon(true);
      acceptor.start();
      try (RunningGather app = RunningGather.start(limited("redis://127.0.0.1:" + silent.getLocalPort(), 100, false))) {
        long began = System.nanoTime();
        HttpResponse<Buffer> refused = root(app);
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began);
        assertEquals(503, refused.statusCode());
        assertTrue(ms >= 250 && ms < 2000, "answered after " + ms + " ms with rateLimit.redisTimeoutMs 300");
      }
    }
  }
}
