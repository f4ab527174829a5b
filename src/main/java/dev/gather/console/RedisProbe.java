package dev.gather.console;

import dev.gather.redis.BoundedRedis;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Whether the Redis servers gather uses (the cache's, the rate limits') answer a PING, for the overview. Asked at
 * most once a second whatever the number of open pages, with a short timeout; the URLs (which may hold a password)
 * are never shown, only which feature uses Redis and whether it answers.
 */
final class RedisProbe {
  private static final long TIMEOUT_MS = 500;
  private static final long FRESH_MS = 1000;

  private final Map<String, Redis> clients = new LinkedHashMap<>();
  private volatile JsonObject last = new JsonObject();
  private volatile long lastAt;
  private volatile Future<JsonObject> pending;

  RedisProbe(Vertx vertx, Optional<String> cacheUrl, Optional<String> rateLimitUrl) {
    cacheUrl.ifPresent(url -> clients.put("cache", BoundedRedis.client(vertx, url, TIMEOUT_MS)));
    rateLimitUrl.ifPresent(url -> clients.put("rateLimit", BoundedRedis.client(vertx, url, TIMEOUT_MS)));
    clients.keySet().forEach(feature -> last.put(feature, new JsonObject().put("state", "unknown")));
  }

  /** Each feature that uses Redis with its state ({@code up} with the PING's ms, or {@code down}); empty: none. */
  synchronized Future<JsonObject> state() {
    if (clients.isEmpty()) {
      return Future.succeededFuture(new JsonObject());
    }
    if (System.currentTimeMillis() - lastAt < FRESH_MS) {
      return Future.succeededFuture(last);
    }
    if (pending != null) {
      return pending;
    }
    JsonObject states = new JsonObject();
    var pings = clients.entrySet().stream().map(entry -> {
      long began = System.nanoTime();
      return entry.getValue().send(Request.cmd(Command.PING)).timeout(TIMEOUT_MS, TimeUnit.MILLISECONDS)
          .transform(done -> {
            states.put(entry.getKey(), done.succeeded()
                ? new JsonObject().put("state", "up").put("pingMs", (System.nanoTime() - began) / 1_000_000)
                : new JsonObject().put("state", "down"));
            return Future.succeededFuture();
          });
    }).toList();
    Future<JsonObject> probe = Future.join(pings).transform(done -> {
      synchronized (this) {
        last = states;
        lastAt = System.currentTimeMillis();
        pending = null;
      }
      return Future.succeededFuture(states);
    });
    pending = probe;
    return probe;
  }

  void close() {
    clients.values().forEach(Redis::close);
  }
}
