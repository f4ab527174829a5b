package dev.gather.ratelimit;

import dev.gather.redis.BoundedRedis;
import dev.gather.config.Rate;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisAPI;
import io.vertx.redis.client.Response;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Buckets in Redis, so that every replica draws on one bucket per caller. Each check is one script, run atomically
 * by Redis: read, refill, take, write and set the key to expire once the bucket would be full again (so Redis holds
 * only the buckets of recent callers). The script reads Redis's clock, not the replicas', so their clocks need not
 * agree. A check that Redis does not answer within {@code timeoutMs} fails; the guard then fails open or closed.
 */
final class RedisBuckets implements Buckets {
  /** KEYS[1] the bucket; ARGV[1] tokens per second, ARGV[2] burst. Returns {took (0/1), tokens left as text}. */
  static final String SCRIPT = """
      local rate = tonumber(ARGV[1])
      local burst = tonumber(ARGV[2])
      local clock = redis.call('TIME')
      local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
      local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
      local tokens = tonumber(state[1])
      local at = tonumber(state[2])
      if tokens == nil or at == nil then
        tokens = burst
        at = now
      end
      tokens = math.min(burst, tokens + math.max(0, now - at) * rate / 1000000)
      local took = 0
      if tokens >= 1 then
        tokens = tokens - 1
        took = 1
      end
      redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens), 'at', string.format('%.0f', now))
      redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / rate * 1000) + 1000)
      return {took, string.format('%.17g', tokens)}
      """;
  static final String SCRIPT_SHA = sha1(SCRIPT);

  private final Redis client;
  private final RedisAPI redis;
  private final long timeoutMs;
  private final String prefix;

  RedisBuckets(Vertx vertx, String url, String prefix, long timeoutMs) {
    this.timeoutMs = timeoutMs;
    this.prefix = prefix;
    this.client = BoundedRedis.client(vertx, url, timeoutMs);
    this.redis = RedisAPI.api(client);
  }

  @Override
  public Future<Decision> take(String key, Rate rate) {
    List<String> args = List.of(SCRIPT_SHA, "1", prefix + key, Double.toString(rate.perSecond()),
        Long.toString(rate.burst()));
    return redis.evalsha(args)
        .recover(failure -> isNoScript(failure)
            ? redis.eval(List.of(SCRIPT, "1", prefix + key, args.get(3), args.get(4)))
            : Future.failedFuture(failure))
        .timeout(timeoutMs, TimeUnit.MILLISECONDS)
        .map(response -> decision(rate, response));
  }

  private static Decision decision(Rate rate, Response response) {
    boolean took = response.get(0).toInteger() == 1;
    double tokens = Double.parseDouble(response.get(1).toString());
    return TokenBucket.decision(rate, took, tokens);
  }

  /** After a Redis restart or SCRIPT FLUSH the script must be sent again; EVAL also caches it for next time. */
  private static boolean isNoScript(Throwable failure) {
    return failure.getMessage() != null && failure.getMessage().toUpperCase(Locale.ROOT).startsWith("NOSCRIPT");
  }

  Future<Void> close() {
    return client.close();
  }

  private static String sha1(String text) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
