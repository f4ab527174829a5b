package dev.gather.cache;

import dev.gather.logging.LogThrottle;
import dev.gather.time.Ticker;
import io.vertx.core.Closeable;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetClientOptions;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import io.vertx.redis.client.ResponseType;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a purge reaches every replica's memory: a Redis pub/sub channel, {@code <cache.redisPrefix>purge}. A purge
 * is published there (after Redis itself is purged, so that a replica that drops its copy does not read the old
 * one back from Redis), and every gather listens on a connection of its own, made at start, and purges its memory
 * level as the message says. A message is {@code {"origin":..,"kind":"upstream"|"query","name":..,"pathPrefix":..}};
 * its own messages (same origin) a gather has already applied.
 *
 * <p>The listening connection, when lost (Redis restarted, the connection killed), is made again with a backoff
 * (doubling from {@link #FIRST_RETRY_MS} to {@link #LAST_RETRY_MS}, with jitter), and the channel subscribed
 * again; since purges published meanwhile were missed, {@code resubscribed} is then told (the cache drops its
 * memory level, which Redis backs). Messages larger than {@link #MAX_MESSAGE_BYTES} or not of this form are
 * ignored, with a log line (one per 10 s at most).
 */
final class PurgeChannel {
  static final int MAX_MESSAGE_BYTES = 16 * 1024;
  static final long FIRST_RETRY_MS = 100;
  static final long LAST_RETRY_MS = 10_000;
  private static final long LOG_EVERY_MS = 10_000;
  private static final Logger LOG = LoggerFactory.getLogger(PurgeChannel.class);

  /** A purge as it travels: what {@link SourceCache#purge} was asked. */
  record Purge(CacheKey.Kind kind, String name, String pathPrefix) {}

  private final Vertx vertx;
  private final Redis subscriber;
  private final String channel;
  private final long timeoutMs;
  private final String origin = UUID.randomUUID().toString();
  private final Consumer<Purge> purge;
  private final Runnable resubscribed;
  private final AtomicReference<RedisConnection> listening = new AtomicReference<>();
  private final AtomicInteger failures = new AtomicInteger();
  /** When each kind of trouble was last logged: losing the connection, and messages ignored. */
  private final LogThrottle lostLog = new LogThrottle(LOG_EVERY_MS, Ticker.SYSTEM);
  private final LogThrottle ignoredLog = new LogThrottle(LOG_EVERY_MS, Ticker.SYSTEM);
  private volatile boolean everSubscribed;
  private volatile boolean closed;

  /**
   * Listens on the channel at {@code url} from now on; {@code purge} is given each purge another gather
   * published, {@code resubscribed} is run when listening resumes after a loss.
   */
  PurgeChannel(Vertx vertx, String url, String prefix, long timeoutMs, Consumer<Purge> purge, Runnable resubscribed) {
    this.vertx = vertx;
    this.channel = prefix + "purge";
    this.timeoutMs = Math.max(1000, timeoutMs);
    this.purge = purge;
    this.resubscribed = resubscribed;
    // Stops listening (and retrying) when what the client belongs to closes (the verticle that made it, else
    // Vert.x), rather than taking that for a lost connection; added before the client, whose own hook closes it.
    Closeable stop = done -> close().onComplete(closed -> done.succeed());
    if (Vertx.currentContext() instanceof ContextInternal context) {
      context.addCloseHook(stop);
    } else {
      ((VertxInternal) vertx).addCloseHook(stop);
    }
    // A client of its own, one connection: a subscribed connection can do nothing else.
    this.subscriber = Redis.createClient(vertx, new RedisOptions()
        .setConnectionString(url)
        .setMaxPoolSize(1)
        .setMaxPoolWaiting(1)
        .setNetClientOptions(new NetClientOptions().setConnectTimeout((int) Math.min(Integer.MAX_VALUE,
            this.timeoutMs)).setTcpKeepAlive(true)));
    listen();
  }

  /** Publishes {@code purge} with {@code redis}; the number of gathers listening that Redis says received it. */
  Future<Long> publish(RedisLevel redis, Purge purge) {
    String message = new JsonObject().put("origin", origin)
        .put("kind", purge.kind() == CacheKey.Kind.UPSTREAM ? "upstream" : "query")
        .put("name", purge.name()).put("pathPrefix", purge.pathPrefix()).encode();
    return redis.publish(channel, message);
  }

  private void listen() {
    if (closed) {
      return;
    }
    AtomicReference<RedisConnection> made = new AtomicReference<>();
    subscriber.connect().timeout(timeoutMs, TimeUnit.MILLISECONDS)
        .compose(connection -> {
          made.set(connection);
          connection.handler(this::received);
          connection.exceptionHandler(e -> lost(connection, e));
          connection.endHandler(v -> lost(connection, null));
          listening.set(connection);
          return connection.send(Request.cmd(Command.SUBSCRIBE).arg(channel))
              .timeout(timeoutMs, TimeUnit.MILLISECONDS);
        })
        .onSuccess(subscribed -> {
          failures.set(0);
          if (everSubscribed) {
            LOG.info("cache: listening for purges on {} again", channel);
            resubscribed.run();
          }
          everSubscribed = true;
        })
        .onFailure(e -> {
          RedisConnection connection = made.get();
          if (connection != null) {
            lost(connection, e);
          } else {
            retry(e);
          }
        });
  }

  /** The listening connection ended or failed: closed, and made again later (once per connection). */
  private void lost(RedisConnection connection, Throwable cause) {
    if (!listening.compareAndSet(connection, null)) {
      return;
    }
    connection.close();
    retry(cause);
  }

  private void retry(Throwable cause) {
    if (closed) {
      return;
    }
    int failed = failures.getAndIncrement();
    long delay = Math.min(LAST_RETRY_MS, FIRST_RETRY_MS << Math.min(failed, 20));
    delay += ThreadLocalRandom.current().nextLong(delay / 4 + 1);
    logRarely(lostLog, "cache: not listening for purges on {} ({}); other replicas' purges do not reach this memory until "
        + "it listens again, trying in {} ms", channel, cause == null ? "connection closed" : cause.getMessage(),
        delay);
    try {
      vertx.setTimer(delay, t -> listen());
    } catch (RuntimeException vertxClosing) {
      closed = true;
    }
  }

  /** A pushed reply: {@code message <channel> <payload>}; anything else on the connection is not a purge. */
  private void received(Response push) {
    if (push == null || (push.type() != ResponseType.MULTI && push.type() != ResponseType.PUSH)
        || push.size() != 3 || !"message".equalsIgnoreCase(String.valueOf(push.get(0)))
        || !channel.equals(String.valueOf(push.get(1)))) {
      return;
    }
    Response payload = push.get(2);
    if (payload == null || payload.toBuffer().length() > MAX_MESSAGE_BYTES) {
      logRarely(ignoredLog, "cache: ignored a message on {} of more than {} bytes", channel, MAX_MESSAGE_BYTES);
      return;
    }
    String text = payload.toBuffer().toString(StandardCharsets.UTF_8);
    JsonObject message;
    try {
      message = new JsonObject(text);
    } catch (DecodeException | ClassCastException notJson) {
      logRarely(ignoredLog, "cache: ignored a message on {} that is not a purge: {}", channel, abbreviated(text));
      return;
    }
    Object origin = message.getValue("origin");
    Object kind = message.getValue("kind");
    Object name = message.getValue("name");
    Object pathPrefix = message.getValue("pathPrefix");
    if (!(origin instanceof String) || !(name instanceof String) || !(pathPrefix instanceof String)
        || !("upstream".equals(kind) || "query".equals(kind))) {
      logRarely(ignoredLog, "cache: ignored a message on {} that is not a purge: {}", channel, abbreviated(text));
      return;
    }
    if (this.origin.equals(origin)) {
      return; // this gather's own purge, applied when it was asked
    }
    purge.accept(new Purge("upstream".equals(kind) ? CacheKey.Kind.UPSTREAM : CacheKey.Kind.QUERY, (String) name,
        (String) pathPrefix));
  }

  private static String abbreviated(String text) {
    return text.length() <= 200 ? text : text.substring(0, 200) + "...";
  }

  private static void logRarely(LogThrottle throttle, String format, Object... args) {
    if (throttle.occurred() > 0) {
      LOG.warn(format, args);
    }
  }

  Future<Void> close() {
    closed = true;
    return subscriber.close();
  }
}
