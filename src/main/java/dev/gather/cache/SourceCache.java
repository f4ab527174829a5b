package dev.gather.cache;

import dev.gather.config.CachePolicy;
import dev.gather.config.CacheStoreConfig;
import dev.gather.failure.Failure;
import dev.gather.redis.CallerContext;
import dev.gather.time.Ticker;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.shareddata.Shareable;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cache of every cached source in this process, shared by the HTTP instances ({@link #shared}). A lookup
 * looks in memory, then in Redis when there is one (an answer found there is kept in memory too). A fresh answer
 * is served without a call; one within {@code staleWhileRevalidateMs} past freshness is served at once, marked
 * stale, while one call (per key) refreshes it behind; otherwise the call is made, and its answer stored as its
 * {@code Cache-Control} and the source's policy allow. When that call fails for a reason that is not the client's
 * (a timeout, shed, an open breaker, a 5xx, the connection), an answer within {@code staleIfErrorMs} past
 * freshness is served instead, marked stale. Thread-safe; each lookup's continuation runs on its caller's context.
 */
public final class SourceCache implements Shareable {
  private static final String SHARED_MAP = "gather.sourceCache";
  private static final Logger LOG = LoggerFactory.getLogger(SourceCache.class);

  /** One source's call and how its answers go in and out of the cache. */
  public interface Call<T> {
    /** The call, for this request. */
    Future<T> live();

    /** The same call for nobody's request (a stale-while-revalidate refresh): its own timeout, no client's. */
    Future<T> refresh();

    /** What of an answer is kept; null when it cannot be (nothing as bytes). */
    Fresh fresh(T answer);

    /** The answer made of kept bytes. */
    T fromCache(Hit hit);
  }

  /** A live answer's body as it came, its status and its {@code Cache-Control} (null for none). */
  public record Fresh(Buffer body, int status, String cacheControl) {}

  /**
   * A kept answer served: its bytes, status, age, whether it was stale, and the failure of the call it stands in
   * for (null when no call failed).
   */
  public record Hit(Buffer body, int status, long ageMs, boolean stale, Throwable failure) {}

  /**
   * What a purge removed: in this process's memory, and in Redis; and how many gathers' memory (this one's
   * included while it listens) Redis says the purge was sent to. Both empty without Redis, or when Redis failed
   * them, which {@code incomplete} then says.
   */
  public record Purged(long memory, Optional<Long> redis, Optional<Long> replicas, Optional<String> incomplete) {}

  private final Ticker ticker;
  private final MemoryLevel memory;
  private final RedisLevel redis;
  /** With Redis: how purges reach the other replicas' memory, and theirs this one's. */
  private final PurgeChannel purges;
  private final CacheMetrics metrics;
  /** The keys a stale-while-revalidate refresh is under way for: one call per key, however many read it. */
  private final Set<String> refreshing = ConcurrentHashMap.newKeySet();

  /** {@code vertx} may be null when {@code config} names no Redis. */
  public SourceCache(Vertx vertx, CacheStoreConfig config, MeterRegistry registry, Ticker ticker) {
    this.ticker = ticker;
    this.metrics = new CacheMetrics(registry);
    this.memory = new MemoryLevel(config.maxBytes(), ticker, metrics::evicted);
    metrics.memory(memory);
    this.redis = config.redisUrl().map(url -> new RedisLevel(vertx, url, config.redisPrefix(),
        config.redisTimeoutMs(), ticker, metrics::redisFailed)).orElse(null);
    this.purges = config.redisUrl().map(url -> new PurgeChannel(vertx, url, config.redisPrefix(),
        config.redisTimeoutMs(), purge -> purgeMemory(purge.kind(), purge.name(), purge.pathPrefix()),
        this::forgetMissedPurges)).orElse(null);
  }

  /** The process's cache: made by the first HTTP instance that asks, shared by the others. */
  public static SourceCache shared(Vertx vertx, CacheStoreConfig config, MeterRegistry registry) {
    return vertx.sharedData().<String, SourceCache>getLocalMap(SHARED_MAP)
        .computeIfAbsent("cache", name -> new SourceCache(vertx, config, registry, Ticker.SYSTEM));
  }

  /**
   * The answer for {@code key}: kept, or got by {@code call} (and kept), or kept and stale when the call failed.
   * {@code owner} names the source (its maxEntries bound the answers it stores).
   */
  public <T> Future<T> through(CacheKey key, CachePolicy policy, String owner, Call<T> call) {
    Stored inMemory = memory.get(key);
    if (inMemory != null || redis == null || !redis.available()) {
      return decide(inMemory, key, policy, owner, call);
    }
    Context context = Vertx.currentContext();
    return CallerContext.resume(context, redis.get(key)).compose(loaded -> decide(loaded == null ? null
        : promote(key, owner, policy, loaded), key, policy, owner, call));
  }

  private <T> Future<T> decide(Stored entry, CacheKey key, CachePolicy policy, String owner, Call<T> call) {
    if (entry != null) {
      Freshness freshness = Freshness.of(policy, entry.directives());
      long ageMs = entry.ageMs(ticker.nanoTime());
      if (freshness.freshAt(ageMs)) {
        metrics.lookup(key, CacheMetrics.Result.HIT);
        return Future.succeededFuture(call.fromCache(new Hit(entry.body(), entry.status(), ageMs, false, null)));
      }
      if (freshness.revalidatingAt(ageMs)) {
        metrics.lookup(key, CacheMetrics.Result.STALE);
        refresh(key, policy, owner, call);
        return Future.succeededFuture(call.fromCache(new Hit(entry.body(), entry.status(), ageMs, true, null)));
      }
    }
    metrics.lookup(key, CacheMetrics.Result.MISS);
    return call.live().transform(done -> {
      if (done.succeeded()) {
        store(key, policy, owner, call.fresh(done.result()));
        return Future.succeededFuture(done.result());
      }
      if (entry != null && staleAllowedAfter(done.cause())) {
        long ageMs = entry.ageMs(ticker.nanoTime());
        if (Freshness.of(policy, entry.directives()).servesErrorsAt(ageMs)) {
          metrics.lookup(key, CacheMetrics.Result.STALE);
          return Future.succeededFuture(call.fromCache(new Hit(entry.body(), entry.status(), ageMs, true,
              done.cause())));
        }
      }
      return Future.failedFuture(done.cause());
    });
  }

  /**
   * Whether a failed call may be answered with a stale answer: when the upstream (or database) failed, not when
   * the request itself is wrong (a bad parameter, a 4xx the upstream meant) or its client has left.
   */
  static boolean staleAllowedAfter(Throwable cause) {
    if (!(cause instanceof Failure failure)) {
      return true;
    }
    return switch (failure.kind()) {
      case STATUS -> failure.upstreamStatus() == null || failure.upstreamStatus() >= 500;
      case MISSING_PARAMETER, BAD_PARAMETER, NOT_FOUND, CONFLICT, CANCELLED, DEPENDENCY, SHAPE_FAILED -> false;
      default -> true;
    };
  }

  private <T> void refresh(CacheKey key, CachePolicy policy, String owner, Call<T> call) {
    String id = key.memoryKey();
    if (!refreshing.add(id)) {
      return;
    }
    Future<T> refreshed;
    try {
      refreshed = call.refresh();
    } catch (RuntimeException e) {
      refreshing.remove(id);
      return;
    }
    refreshed.onComplete(done -> {
      refreshing.remove(id);
      if (done.succeeded()) {
        store(key, policy, owner, call.fresh(done.result()));
      }
    });
  }

  private void store(CacheKey key, CachePolicy policy, String owner, Fresh fresh) {
    if (fresh == null) {
      return;
    }
    Directives directives = Directives.parse(fresh.cacheControl());
    long keepMs = Freshness.of(policy, directives).keepMs();
    if (keepMs <= 0) {
      return; // no-store, private, or nothing asked to keep it
    }
    Stored stored = new Stored(key, owner, fresh.body(), fresh.status(), fresh.cacheControl(), directives,
        ticker.nanoTime(), keepMs);
    memory.put(stored, policy.maxEntries());
    if (redis != null) {
      redis.put(stored);
    }
  }

  /** An answer found in Redis, kept in memory for what is left of its keep time. */
  private Stored promote(CacheKey key, String owner, CachePolicy policy, RedisLevel.Loaded loaded) {
    Stored stored = new Stored(key, owner, loaded.body(), loaded.status(), loaded.cacheControl(),
        Directives.parse(loaded.cacheControl()), ticker.nanoTime() - loaded.ageMs() * 1_000_000L, loaded.keepMs());
    if (loaded.ageMs() < loaded.keepMs()) {
      memory.put(stored, policy.maxEntries());
    }
    return stored;
  }

  /**
   * Removes the answers of upstream (or query) {@code name} whose path starts with {@code pathPrefix} from this
   * process's memory, from Redis, and then, by a message on the purge channel, from every other replica's memory.
   * Without Redis, from this process's memory only.
   */
  public Future<Purged> purge(CacheKey.Kind kind, String name, String pathPrefix) {
    long inMemory = purgeMemory(kind, name, pathPrefix);
    if (redis == null) {
      return Future.succeededFuture(new Purged(inMemory, Optional.empty(), Optional.empty(), Optional.empty()));
    }
    Context context = Vertx.currentContext();
    return CallerContext.resume(context, redis.purge(kind, name, pathPrefix).transform(removed -> {
      // What a lookup here read back from Redis while Redis was being purged goes too.
      long again = purgeMemory(kind, name, pathPrefix);
      // Published even when Redis failed the purge: the other replicas' memory is worth purging anyway.
      return purges.publish(redis, new PurgeChannel.Purge(kind, name, pathPrefix)).transform(published -> {
        Optional<String> incomplete = removed.failed()
            ? Optional.of("Redis did not take the purge (" + removed.cause().getMessage() + "); it may still hold some")
            : published.failed() ? Optional.of("Redis did not pass the purge on to the other replicas ("
                + published.cause().getMessage() + "); their memory may still hold some")
            : Optional.empty();
        return Future.succeededFuture(new Purged(inMemory + again,
            removed.succeeded() ? Optional.of(removed.result()) : Optional.empty(),
            published.succeeded() ? Optional.of(published.result()) : Optional.empty(), incomplete));
      });
    }));
  }

  private long purgeMemory(CacheKey.Kind kind, String name, String pathPrefix) {
    return memory.purge(key -> key.kind() == kind && key.name().equals(name) && key.path().startsWith(pathPrefix));
  }

  /**
   * Listening for purges again after the connection was lost: whatever was purged meanwhile never reached this
   * memory, so all of it goes (Redis, which the purges did reach, still holds the rest).
   */
  private void forgetMissedPurges() {
    long dropped = memory.purge(key -> true);
    LOG.info("cache: dropped {} answer(s) from memory, which purges may have missed while not listening", dropped);
  }
}
