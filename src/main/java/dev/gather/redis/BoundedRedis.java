package dev.gather.redis;

import io.vertx.core.Vertx;
import io.vertx.core.net.NetClientOptions;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;

/**
 * The Redis client of a feature that shares state across replicas (rate-limit buckets, cached answers): a small
 * pool whose waiting is bounded, so that a slow Redis makes calls fail at once (and the feature fall back) instead
 * of queueing without limit, and whose connecting is bounded by the feature's own timeout.
 */
public final class BoundedRedis {
  private BoundedRedis() {}

  public static Redis client(Vertx vertx, String url, long timeoutMs) {
    return Redis.createClient(vertx, new RedisOptions()
        .setConnectionString(url)
        .setMaxPoolSize(8)
        .setMaxPoolWaiting(1024)
        .setMaxWaitingHandlers(4096)
        .setNetClientOptions(new NetClientOptions().setConnectTimeout((int) Math.min(Integer.MAX_VALUE, timeoutMs))
            .setTcpNoDelay(true)));
  }
}
