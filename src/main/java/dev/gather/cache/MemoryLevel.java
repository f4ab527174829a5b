package dev.gather.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.RemovalCause;
import dev.gather.time.Ticker;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * The first level, in this process and shared by its event loops: one Caffeine map of every source's answers,
 * bounded by their bytes ({@code cache.maxBytes}), each entry gone once its keep time passes; beside it, per
 * source, an index of the keys it stored bounded by that source's {@code maxEntries}, whose evictions take the
 * answer with them. Least recently used goes first (Caffeine's W-TinyLFU, near enough). Maintenance runs on the
 * calling thread (no pool of Caffeine's own), and time is read from the {@link Ticker} given.
 */
final class MemoryLevel {
  private final Cache<String, Stored> answers;
  private final Map<String, Cache<String, Boolean>> owners = new ConcurrentHashMap<>();
  private final Ticker ticker;
  private final Runnable evicted;

  MemoryLevel(long maxBytes, Ticker ticker, Runnable evicted) {
    this.ticker = ticker;
    this.evicted = evicted;
    this.answers = Caffeine.newBuilder()
        .maximumWeight(maxBytes)
        .<String, Stored>weigher((key, stored) -> stored.weight())
        .expireAfter(new Expiry<String, Stored>() {
          @Override
          public long expireAfterCreate(String key, Stored stored, long now) {
            return left(stored, now);
          }

          @Override
          public long expireAfterUpdate(String key, Stored stored, long now, long left) {
            return left(stored, now);
          }

          @Override
          public long expireAfterRead(String key, Stored stored, long now, long left) {
            return left;
          }
        })
        .ticker(ticker::nanoTime)
        .executor(Runnable::run)
        .removalListener((String key, Stored stored, RemovalCause cause) -> {
          if (cause == RemovalCause.SIZE) {
            evicted.run();
          }
          if (cause != RemovalCause.REPLACED && stored != null) {
            Cache<String, Boolean> index = owners.get(stored.owner());
            if (index != null) {
              index.invalidate(key);
            }
          }
        })
        .build();
  }

  /** What is left of its keep time: all of it when just stored, less when it came from Redis already old. */
  private static long left(Stored stored, long now) {
    return Math.max(1, stored.keepMs() * 1_000_000L - (now - stored.storedAtNanos()));
  }

  Stored get(CacheKey key) {
    return answers.getIfPresent(key.memoryKey());
  }

  void put(Stored stored, int maxEntries) {
    String key = stored.key().memoryKey();
    answers.put(key, stored);
    index(stored.owner(), maxEntries).put(key, Boolean.TRUE);
  }

  /** The source's index; made with its maxEntries the first time the source stores. */
  private Cache<String, Boolean> index(String owner, int maxEntries) {
    return owners.computeIfAbsent(owner, name -> Caffeine.newBuilder()
        .maximumSize(maxEntries)
        .executor(Runnable::run)
        .removalListener((String key, Boolean present, RemovalCause cause) -> {
          if (cause == RemovalCause.SIZE) {
            // Only this source's own entry: another source may have stored an answer under the key since.
            boolean[] mine = {false};
            answers.asMap().computeIfPresent(key, (k, stored) -> {
              mine[0] = stored.owner().equals(name);
              return mine[0] ? null : stored;
            });
            if (mine[0]) {
              evicted.run();
            }
          }
        })
        .build());
  }

  /** Removes every answer {@code matches} picks; returns how many. */
  long purge(Predicate<CacheKey> matches) {
    long[] removed = {0};
    answers.asMap().entrySet().removeIf(entry -> {
      if (matches.test(entry.getValue().key())) {
        removed[0]++;
        return true;
      }
      return false;
    });
    return removed[0];
  }

  /** The bytes held now (as {@link Stored#weight} counts them). */
  long bytes() {
    answers.cleanUp();
    return answers.policy().eviction().map(e -> e.weightedSize().orElse(0)).orElse(0L);
  }

  long entries() {
    return answers.estimatedSize();
  }

  long nowNanos() {
    return ticker.nanoTime();
  }
}
