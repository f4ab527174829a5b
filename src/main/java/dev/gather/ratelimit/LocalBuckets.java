package dev.gather.ratelimit;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import dev.gather.config.Rate;
import dev.gather.time.Ticker;
import io.vertx.core.Future;

/**
 * Buckets in this process, shared by its event loops. Bounded twice: a bucket is dropped once it would be full
 * again (a full bucket and no bucket are the same thing), and at most {@code maxBuckets} are kept, the least
 * recently used going first, so a flood of new addresses costs memory up to a limit and no more (it can, at worst,
 * hand a dropped caller a full bucket early).
 */
final class LocalBuckets implements Buckets {
  private record Entry(TokenBucket bucket, Rate rate) {}

  private final Cache<String, Entry> buckets;
  private final Ticker ticker;

  LocalBuckets(long maxBuckets, Ticker ticker) {
    this.ticker = ticker;
    this.buckets = Caffeine.newBuilder()
        .maximumSize(maxBuckets)
        .ticker(ticker::nanoTime)
        .executor(Runnable::run) // housekeeping on the caller's thread: no pool, and tests see it at once
        .expireAfter(new Expiry<String, Entry>() {
          @Override
          public long expireAfterCreate(String key, Entry entry, long now) {
            return entry.bucket().nanosUntilFull(entry.rate());
          }

          @Override
          public long expireAfterUpdate(String key, Entry entry, long now, long current) {
            return entry.bucket().nanosUntilFull(entry.rate());
          }

          @Override
          public long expireAfterRead(String key, Entry entry, long now, long current) {
            return current;
          }
        })
        .build();
  }

  @Override
  public Future<Decision> take(String key, Rate rate) {
    return Future.succeededFuture(takeNow(key, rate));
  }

  Decision takeNow(String key, Rate rate) {
    long now = ticker.nanoTime();
    Entry entry = buckets.asMap().compute(key, (k, old) ->
        new Entry((old == null ? TokenBucket.full(rate, now) : old.bucket()).take(rate, now), rate));
    return entry.bucket().decision(rate);
  }

  boolean holds(String key) {
    return buckets.getIfPresent(key) != null;
  }

  long size() {
    buckets.cleanUp();
    return buckets.estimatedSize();
  }
}
