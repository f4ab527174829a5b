package dev.gather.cache;

import dev.gather.redis.BoundedRedis;
import dev.gather.logging.LogThrottle;
import dev.gather.time.Ticker;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The second level, in Redis, shared by every replica: each answer under its {@link CacheKey#redisKey} with
 * Redis's own expiry set to its keep time, so the age a replica reads is the keep time less what Redis has left
 * (one clock, Redis's, whatever the replicas' clocks say). A value is a line {@code status keepMs Cache-Control}
 * and the body's bytes after it.
 *
 * <p>Never an error: a read or write that Redis does not answer within {@code timeoutMs}, or that fails, is a
 * miss (a write is lost), and Redis is then left alone for {@link #PAUSE_MS} so that a dead Redis costs one
 * timeout per second, not one per request.
 */
final class RedisLevel {
  static final long PAUSE_MS = 1000;
  private static final Logger LOG = LoggerFactory.getLogger(RedisLevel.class);
  private static final long LOG_EVERY_MS = 10_000;
  /** A purge's own bound: SCAN walks every key, which takes longer than one read. */
  private static final long PURGE_COMMAND_MS = 2000;

  /** An answer read from Redis, {@code ageMs} old. */
  record Loaded(Buffer body, int status, String cacheControl, long ageMs, long keepMs) {}

  private final Redis client;
  private final String prefix;
  private final long timeoutMs;
  private final Ticker ticker;
  private final Runnable failed;
  private volatile long pausedUntilNanos;
  private volatile boolean paused;
  /** One line per 10 s at most, with the count of failures it stands for. */
  private final LogThrottle failureLog;

  RedisLevel(Vertx vertx, String url, String prefix, long timeoutMs, Ticker ticker, Runnable failed) {
    this.prefix = prefix;
    this.timeoutMs = timeoutMs;
    this.ticker = ticker;
    this.failed = failed;
    this.failureLog = new LogThrottle(LOG_EVERY_MS, ticker);
    this.client = BoundedRedis.client(vertx, url, timeoutMs);
    // A connection made now rather than by the first lookup, whose short timeout the connecting would spend.
    client.send(Request.cmd(Command.PING)).timeout(Math.max(1000, timeoutMs), TimeUnit.MILLISECONDS)
        .onFailure(this::failed);
  }

  /** Whether Redis is worth asking now: not within a pause after a failure. */
  boolean available() {
    return !paused || ticker.nanoTime() - pausedUntilNanos >= 0;
  }

  /** The answer under {@code key}; null when there is none, or Redis is paused, slow or down. */
  Future<Loaded> get(CacheKey key) {
    if (!available()) {
      return Future.succeededFuture();
    }
    String redisKey = key.redisKey(prefix);
    return client.batch(List.of(Request.cmd(Command.GET).arg(redisKey), Request.cmd(Command.PTTL).arg(redisKey)))
        .timeout(timeoutMs, TimeUnit.MILLISECONDS)
        .map(replies -> {
          answered();
          return loaded(replies.get(0), replies.get(1));
        })
        .otherwise(e -> {
          failed(e);
          return null;
        });
  }

  private static Loaded loaded(Response value, Response pttl) {
    if (value == null || pttl == null || pttl.toLong() < 0) {
      return null; // absent, or gone between the two commands
    }
    Buffer bytes = value.toBuffer();
    int newline = -1;
    for (int i = 0; i < Math.min(bytes.length(), 4096); i++) {
      if (bytes.getByte(i) == '\n') {
        newline = i;
        break;
      }
    }
    if (newline < 0) {
      return null; // not a value of ours
    }
    String[] head = bytes.getString(0, newline, StandardCharsets.UTF_8.name()).split(" ", 3);
    try {
      int status = Integer.parseInt(head[0]);
      long keepMs = Long.parseLong(head[1]);
      String cacheControl = head.length > 2 && !head[2].isEmpty() ? head[2] : null;
      return new Loaded(bytes.getBuffer(newline + 1, bytes.length()), status, cacheControl,
          Math.max(0, keepMs - pttl.toLong()), keepMs);
    } catch (RuntimeException notOurs) {
      return null;
    }
  }

  /** Stores {@code stored} for its keep time; a write Redis does not take is lost, never an error. */
  void put(Stored stored) {
    if (!available()) {
      return;
    }
    String head = stored.status() + " " + stored.keepMs() + " "
        + (stored.cacheControl() == null ? "" : stored.cacheControl()) + "\n";
    Buffer value = Buffer.buffer(head.length() + stored.body().length()).appendString(head)
        .appendBuffer(stored.body());
    client.send(Request.cmd(Command.SET).arg(stored.key().redisKey(prefix)).arg(value).arg("PX")
            .arg(stored.keepMs()))
        .timeout(timeoutMs, TimeUnit.MILLISECONDS)
        .onSuccess(ok -> answered())
        .onFailure(this::failed);
  }

  /**
   * Deletes every answer of {@code name} whose path starts with {@code pathPrefix}: SCAN with the keys' pattern,
   * UNLINK what each step finds. Fails when Redis fails (the purge is then incomplete, which its caller says).
   */
  Future<Long> purge(CacheKey.Kind kind, String name, String pathPrefix) {
    return scan("0", CacheKey.redisPattern(prefix, kind, name, pathPrefix), 0);
  }

  private Future<Long> scan(String cursor, String pattern, long removed) {
    return client.send(Request.cmd(Command.SCAN).arg(cursor).arg("MATCH").arg(pattern).arg("COUNT").arg(1000))
        .timeout(Math.max(PURGE_COMMAND_MS, timeoutMs), TimeUnit.MILLISECONDS)
        .compose(reply -> {
          String next = reply.get(0).toString();
          Response keys = reply.get(1);
          Future<Long> unlinked = Future.succeededFuture(0L);
          if (keys.size() > 0) {
            Request unlink = Request.cmd(Command.UNLINK);
            for (int i = 0; i < keys.size(); i++) {
              unlink.arg(keys.get(i).toBuffer());
            }
            unlinked = client.send(unlink).timeout(Math.max(PURGE_COMMAND_MS, timeoutMs), TimeUnit.MILLISECONDS)
                .map(Response::toLong);
          }
          return unlinked.compose(count -> next.equals("0") ? Future.succeededFuture(removed + count)
              : scan(next, pattern, removed + count));
        });
  }

  /** Publishes {@code message} on {@code channel}: how many listeners Redis says received it. */
  Future<Long> publish(String channel, String message) {
    return client.send(Request.cmd(Command.PUBLISH).arg(channel).arg(message))
        .timeout(Math.max(PURGE_COMMAND_MS, timeoutMs), TimeUnit.MILLISECONDS)
        .map(Response::toLong);
  }

  private void answered() {
    paused = false;
  }

  private void failed(Throwable cause) {
    pausedUntilNanos = ticker.nanoTime() + PAUSE_MS * 1_000_000L;
    paused = true;
    failed.run();
    long count = failureLog.occurred();
    if (count > 0) {
      LOG.warn("cache: Redis failed {} read(s) or write(s) since the last line, latest: {}; serving from memory "
          + "only, asking Redis again in {} ms", count, String.valueOf(cause.getMessage()), PAUSE_MS);
    }
  }

  Future<Void> close() {
    return client.close();
  }
}
