package dev.gather.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gather.config.CachePolicy;
import dev.gather.config.CacheStoreConfig;
import dev.gather.failure.Failure;
import dev.gather.failure.FailureKind;
import dev.gather.time.ManualClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The cache's decisions on a driven clock, memory only: no servers, every call counted. */
class SourceCacheTest {
  private final ManualClock clock = new ManualClock();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final SourceCache cache = new SourceCache(null, new CacheStoreConfig(Optional.empty(), "t:", 50, 1 << 20),
      registry, clock);
  private static final CacheKey KEY = CacheKey.upstream("users", "/users/1", "/users/1\nauthorization:a");

  /** What a lookup served: the body, and how (live, or a hit of some age, stale or not). */
  private record Served(String body, boolean cached, boolean stale, long ageMs) {}

  /** An upstream that answers each call with the next of its scripted outcomes, counting calls. */
  private static final class Upstream implements SourceCache.Call<Served> {
    final Deque<Object> outcomes = new ArrayDeque<>();
    int calls;
    int refreshes;
    String cacheControl;
    Promise<Served> pendingRefresh;

    Upstream answers(String... bodies) {
      for (String body : bodies) {
        outcomes.add(body);
      }
      return this;
    }

    Upstream fails(Failure failure) {
      outcomes.add(failure);
      return this;
    }

    @Override
    public Future<Served> live() {
      calls++;
      if (outcomes.isEmpty()) {
        throw new AssertionError("an unexpected call");
      }
      Object next = outcomes.remove();
      return next instanceof Failure f ? Future.failedFuture(f)
          : Future.succeededFuture(new Served((String) next, false, false, -1));
    }

    @Override
    public Future<Served> refresh() {
      refreshes++;
      pendingRefresh = Promise.promise();
      return pendingRefresh.future();
    }

    @Override
    public SourceCache.Fresh fresh(Served answer) {
      return new SourceCache.Fresh(Buffer.buffer(answer.body()), 200, cacheControl);
    }

    @Override
    public Served fromCache(SourceCache.Hit hit) {
      return new Served(hit.body().toString(), true, hit.stale(), hit.ageMs());
    }
  }

  private static CachePolicy policy(long ttlMs, long swrMs, long sieMs) {
    return new CachePolicy(ttlMs, swrMs, sieMs, 100, false);
  }

  private Served get(CachePolicy policy, SourceCache.Call<Served> upstream) {
    return get(KEY, policy, upstream);
  }

  private Served get(CacheKey key, CachePolicy policy, SourceCache.Call<Served> upstream) {
    Future<Served> served = cache.through(key, policy, "agg.src", upstream);
    assertTrue(served.isComplete(), "memory only: decided at once");
    if (served.failed()) {
      throw (RuntimeException) served.cause();
    }
    return served.result();
  }

  @Test
  void withinTheTtlTheAnswerIsServedWithoutACallAndWithItsAge() {
    Upstream upstream = new Upstream().answers("{\"n\":1}");
    assertEquals(new Served("{\"n\":1}", false, false, -1), get(policy(1000, 0, 0), upstream));
    clock.advance(400);
    assertEquals(new Served("{\"n\":1}", true, false, 400), get(policy(1000, 0, 0), upstream));
    assertEquals(1, upstream.calls);
  }

  @Test
  void pastTheTtlTheNextLookupCallsAgain() {
    Upstream upstream = new Upstream().answers("1", "2");
    get(policy(1000, 0, 0), upstream);
    clock.advance(1000);
    assertEquals(new Served("2", false, false, -1), get(policy(1000, 0, 0), upstream));
    assertEquals(2, upstream.calls);
  }

  @Test
  void theUpstreamsMaxAgeDecidesFreshnessOverTheTtl() {
    Upstream upstream = new Upstream().answers("1", "2");
    upstream.cacheControl = "public, max-age=2";
    get(policy(60_000, 0, 0), upstream);
    clock.advance(1999);
    assertTrue(get(policy(60_000, 0, 0), upstream).cached());
    clock.advance(1);
    assertFalse(get(policy(60_000, 0, 0), upstream).cached());
  }

  @Test
  void noStoreAndPrivateAnswersAreNeverKept() {
    for (String directive : new String[] {"no-store", "private, max-age=60"}) {
      Upstream upstream = new Upstream().answers("1", "2");
      upstream.cacheControl = directive;
      CacheKey key = CacheKey.upstream("users", "/" + directive, "");
      get(key, policy(60_000, 60_000, 60_000), upstream);
      assertFalse(get(key, policy(60_000, 60_000, 60_000), upstream).cached(), directive);
      assertEquals(2, upstream.calls, directive);
    }
  }

  @Test
  void overrideKeepsWhatTheUpstreamSaysNotToStore() {
    Upstream upstream = new Upstream().answers("1");
    upstream.cacheControl = "no-store";
    CachePolicy override = new CachePolicy(60_000, 0, 0, 100, true);
    get(override, upstream);
    assertTrue(get(override, upstream).cached());
    assertEquals(1, upstream.calls);
  }

  @Test
  void aFailedCallIsAnsweredWithTheStaleAnswerWithinStaleIfError() {
    Upstream upstream = new Upstream().answers("old").fails(new Failure(FailureKind.TIMEOUT, "slow"))
        .fails(new Failure(FailureKind.STATUS, 503, "down", java.util.OptionalLong.empty()));
    CachePolicy policy = policy(1000, 0, 5000);
    get(policy, upstream);
    clock.advance(3000);
    assertEquals(new Served("old", true, true, 3000), get(policy, upstream));
    clock.advance(1999);
    assertEquals(new Served("old", true, true, 4999), get(policy, upstream));
    assertEquals(3, upstream.calls, "each stale answer came after a failed call");
  }

  @Test
  void pastStaleIfErrorTheFailureIsTheAnswer() {
    Upstream upstream = new Upstream().answers("old").fails(new Failure(FailureKind.CONNECT, "refused"));
    CachePolicy policy = policy(1000, 0, 5000);
    get(policy, upstream);
    clock.advance(6000);
    Failure failure = org.junit.jupiter.api.Assertions.assertThrows(Failure.class, () -> get(policy, upstream));
    assertEquals(FailureKind.CONNECT, failure.kind());
  }

  @Test
  void anUpstreams4xxOrABadParameterIsNeverAnsweredStale() {
    assertFalse(SourceCache.staleAllowedAfter(new Failure(FailureKind.STATUS, 404, "gone", java.util.OptionalLong.empty())));
    assertFalse(SourceCache.staleAllowedAfter(new Failure(FailureKind.BAD_PARAMETER, "bad")));
    assertFalse(SourceCache.staleAllowedAfter(new Failure(FailureKind.CANCELLED, "client left")));
    for (FailureKind kind : new FailureKind[] {FailureKind.TIMEOUT, FailureKind.SHED, FailureKind.CIRCUIT_OPEN,
        FailureKind.CONNECT, FailureKind.UNAVAILABLE, FailureKind.QUERY_FAILED}) {
      assertTrue(SourceCache.staleAllowedAfter(new Failure(kind, "x")), kind.wireName());
    }
    assertTrue(SourceCache.staleAllowedAfter(new Failure(FailureKind.STATUS, 502, "bad gateway", java.util.OptionalLong.empty())));
  }

  @Test
  void theUpstreamsStaleIfErrorAllowsStaleAnswersTheConfigDoesNot() {
    Upstream upstream = new Upstream().answers("old").fails(new Failure(FailureKind.STATUS, 500, "down", java.util.OptionalLong.empty()));
    upstream.cacheControl = "max-age=1, stale-if-error=60";
    get(policy(60_000, 0, 0), upstream);
    clock.advance(30_000);
    assertEquals(new Served("old", true, true, 30_000), get(policy(60_000, 0, 0), upstream));
  }

  @Test
  void mustRevalidateForbidsStaleAnswers() {
    Upstream upstream = new Upstream().answers("old").fails(new Failure(FailureKind.STATUS, 500, "down", java.util.OptionalLong.empty()));
    upstream.cacheControl = "max-age=1, must-revalidate";
    get(policy(60_000, 0, 60_000), upstream);
    clock.advance(2000);
    org.junit.jupiter.api.Assertions.assertThrows(Failure.class, () -> get(policy(60_000, 0, 60_000), upstream));
  }

  @Test
  void withinStaleWhileRevalidateTheStaleAnswerIsServedAtOnceAndOneCallRefreshesIt() {
    Upstream upstream = new Upstream().answers("old");
    CachePolicy policy = policy(1000, 10_000, 0);
    get(policy, upstream);
    clock.advance(1500);
    assertEquals(new Served("old", true, true, 1500), get(policy, upstream));
    assertEquals(new Served("old", true, true, 1500), get(policy, upstream));
    assertEquals(1, upstream.refreshes, "one refresh however many read it meanwhile");
    upstream.pendingRefresh.complete(new Served("new", false, false, -1));
    assertEquals(new Served("new", true, false, 0), get(policy, upstream));
    assertEquals(1, upstream.calls);
  }

  @Test
  void aSourcesMaxEntriesBoundsTheAnswersItKeeps() {
    CachePolicy two = new CachePolicy(60_000, 0, 0, 2, false);
    Upstream upstream = new Upstream().answers("a", "b", "c", "a2");
    for (String path : new String[] {"/a", "/b", "/c"}) {
      get(CacheKey.upstream("users", path, path), two, upstream);
    }
    // Asked with a call that fails, so that asking stores nothing: only a kept answer succeeds.
    long kept = java.util.stream.Stream.of("/a", "/b", "/c")
        .filter(path -> cache.through(CacheKey.upstream("users", path, path), two, "agg.src",
            new Upstream().fails(new Failure(FailureKind.CONNECT, "refused"))).succeeded())
        .count();
    assertEquals(2, kept);
    assertTrue(registry.get("gather.cache.evictions").counter().count() >= 1);
  }

  @Test
  void cacheMaxBytesBoundsEverySourcesAnswersTogether() {
    SimpleMeterRegistry own = new SimpleMeterRegistry();
    SourceCache small = new SourceCache(null, new CacheStoreConfig(Optional.empty(), "t:", 50, 4096), own, clock);
    String body = "x".repeat(1000);
    for (int i = 0; i < 20; i++) {
      small.through(CacheKey.upstream("users", "/" + i, ""), policy(60_000, 0, 0), "agg.src" + (i % 3),
          new Upstream().answers(body));
    }
    double bytes = own.get("gather.cache.bytes").gauge().value();
    assertTrue(bytes > 0 && bytes <= 4096, "held " + bytes + " bytes");
  }

  @Test
  void lookupsAreCountedByScopeAndResult() {
    Upstream upstream = new Upstream().answers("1").fails(new Failure(FailureKind.SHED, "shed"));
    CachePolicy policy = policy(1000, 0, 10_000);
    get(policy, upstream);
    get(policy, upstream);
    clock.advance(2000);
    get(policy, upstream);
    for (String result : new String[] {"miss", "hit", "stale"}) {
      double count = registry.get("gather.cache.lookups").tags("scope", "users", "result", result).counter().count();
      assertEquals(result.equals("miss") ? 2 : 1, count, result);
    }
  }

  @Test
  void aPurgeRemovesOneUpstreamsAnswersUnderThePrefixOnly() {
    CachePolicy policy = policy(60_000, 0, 0);
    for (String path : new String[] {"/users/1", "/users/2", "/posts/1"}) {
      get(CacheKey.upstream("users", path, path), policy, new Upstream().answers(path));
    }
    get(CacheKey.upstream("other", "/users/1", "/users/1"), policy, new Upstream().answers("o"));
    SourceCache.Purged purged = cache.purge(CacheKey.Kind.UPSTREAM, "users", "/users/").result();
    assertEquals(2, purged.memory());
    assertTrue(purged.redis().isEmpty());
    assertFalse(get(CacheKey.upstream("users", "/users/1", "/users/1"), policy, new Upstream().answers("n")).cached());
    assertTrue(get(CacheKey.upstream("users", "/posts/1", "/posts/1"), policy, new Upstream()).cached());
    assertTrue(get(CacheKey.upstream("other", "/users/1", "/users/1"), policy, new Upstream()).cached());
  }

  @Test
  void directivesParseCaseAndQuotesAndIgnoreMalformedNumbers() {
    Directives d = Directives.parse("Public, MAX-AGE=\"30\", s-maxage=10, stale-if-error=abc");
    assertEquals(10, d.maxAgeS().getAsLong(), "s-maxage is the shared cache's");
    assertTrue(d.staleIfErrorS().isEmpty());
    assertNull(Directives.parse(null).maxAgeS().isPresent() ? "x" : null);
  }
}
