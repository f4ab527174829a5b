package dev.gather.cache;

import dev.gather.config.CachePolicy;

/**
 * How long one stored answer serves one source: fresh for {@code freshMs} from when it was stored, then served
 * stale at once (and refreshed behind) for {@code staleWhileRevalidateMs}, and served stale when a call fails for
 * {@code staleIfErrorMs} past freshness. The upstream's {@code Cache-Control} decides each number it states; the
 * source's config decides the rest, or all of them with {@code override}. An answer the upstream marks
 * {@code no-store} or {@code private} serves nobody (gather is a cache shared by its callers).
 */
record Freshness(long freshMs, long staleWhileRevalidateMs, long staleIfErrorMs) {
  static final Freshness NEVER = new Freshness(0, 0, 0);

  static Freshness of(CachePolicy policy, Directives directives) {
    if (policy.override()) {
      return new Freshness(policy.ttlMs(), policy.staleWhileRevalidateMs(), policy.staleIfErrorMs());
    }
    if (directives.noStore() || directives.isPrivate()) {
      return NEVER;
    }
    long fresh = directives.noCache() ? 0
        : directives.maxAgeS().isPresent() ? directives.maxAgeS().getAsLong() * 1000 : policy.ttlMs();
    if (directives.noCache() || directives.mustRevalidate()) {
      return new Freshness(fresh, 0, 0);
    }
    return new Freshness(fresh,
        directives.staleWhileRevalidateS().isPresent() ? directives.staleWhileRevalidateS().getAsLong() * 1000
            : policy.staleWhileRevalidateMs(),
        directives.staleIfErrorS().isPresent() ? directives.staleIfErrorS().getAsLong() * 1000
            : policy.staleIfErrorMs());
  }

  /** How long the answer is worth keeping at all: 0 means not stored. */
  long keepMs() {
    return freshMs + Math.max(staleWhileRevalidateMs, staleIfErrorMs);
  }

  boolean freshAt(long ageMs) {
    return ageMs < freshMs;
  }

  boolean revalidatingAt(long ageMs) {
    return ageMs < freshMs + staleWhileRevalidateMs;
  }

  boolean servesErrorsAt(long ageMs) {
    return ageMs < freshMs + staleIfErrorMs;
  }
}
