package dev.gather.config;

import io.vertx.core.json.JsonObject;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;

/**
 * The {@code cache} of a source or of an upstream as written: {@code false} (off), or an object whose keys may be
 * left out. An upstream's is the default of its sources; a source's own keys win over it, key by key, and
 * {@link #resolve} fills what neither gives from the defaults below.
 */
public record CacheConfig(boolean off, OptionalLong ttlMs, OptionalLong staleWhileRevalidateMs,
    OptionalLong staleIfErrorMs, OptionalInt maxEntries, Optional<Boolean> override) {
  static final Set<String> KEYS = Set.of("ttlMs", "staleWhileRevalidateMs", "staleIfErrorMs", "maxEntries", "override");
  static final CacheConfig OFF = new CacheConfig(true, OptionalLong.empty(), OptionalLong.empty(),
      OptionalLong.empty(), OptionalInt.empty(), Optional.empty());
  public static final long DEFAULT_TTL_MS = 60_000;
  public static final int DEFAULT_MAX_ENTRIES = 10_000;
  private static final long DAY_MS = 86_400_000L;

  /** {@code cache} of {@code in}: empty when absent; {@code false} is off, {@code true} every default. */
  static Optional<CacheConfig> parse(Fields in) {
    if (!in.has("cache")) {
      return Optional.empty();
    }
    Object value = in.raw("cache");
    if (value instanceof Boolean on) {
      return Optional.of(on ? new CacheConfig(false, OptionalLong.empty(), OptionalLong.empty(), OptionalLong.empty(),
          OptionalInt.empty(), Optional.empty()) : OFF);
    }
    if (!(value instanceof JsonObject json)) {
      in.problem("cache", " = " + value + ": expected false or an object such as {\"ttlMs\": 30000, "
          + "\"staleIfErrorMs\": 600000}");
      return Optional.empty();
    }
    Fields cache = in.nested("cache", json);
    cache.rejectUnknown(KEYS);
    return Optional.of(new CacheConfig(false,
        optional(cache, json, "ttlMs", 0, 7 * DAY_MS),
        optional(cache, json, "staleWhileRevalidateMs", 0, 7 * DAY_MS),
        optional(cache, json, "staleIfErrorMs", 0, 7 * DAY_MS),
        json.containsKey("maxEntries") ? OptionalInt.of(cache.integer("maxEntries", DEFAULT_MAX_ENTRIES, 1, 10_000_000))
            : OptionalInt.empty(),
        json.containsKey("override") ? Optional.of(cache.bool("override", false)) : Optional.empty()));
  }

  private static OptionalLong optional(Fields cache, JsonObject json, String key, long min, long max) {
    return json.containsKey(key) ? OptionalLong.of(cache.number(key, 0, min, max)) : OptionalLong.empty();
  }

  /**
   * What a source caches with: its own setting over its upstream's ({@code defaults}); none when neither has one,
   * or when the source's says {@code false}.
   */
  static Optional<CachePolicy> resolve(Optional<CacheConfig> own, Optional<CacheConfig> defaults) {
    if (own.isPresent() && own.get().off || own.isEmpty() && (defaults.isEmpty() || defaults.get().off)) {
      return Optional.empty();
    }
    CacheConfig mine = own.orElseGet(defaults::get);
    CacheConfig base = defaults.filter(d -> !d.off).orElse(mine);
    return Optional.of(new CachePolicy(
        mine.ttlMs.orElse(base.ttlMs.orElse(DEFAULT_TTL_MS)),
        mine.staleWhileRevalidateMs.orElse(base.staleWhileRevalidateMs.orElse(0)),
        mine.staleIfErrorMs.orElse(base.staleIfErrorMs.orElse(0)),
        mine.maxEntries.orElse(base.maxEntries.orElse(DEFAULT_MAX_ENTRIES)),
        mine.override.orElse(base.override.orElse(false))));
  }
}
