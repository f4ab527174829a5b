package dev.gather.jobs.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gather.Await;
import dev.gather.RunningGather;
import dev.gather.TestDatabase;
import dev.gather.config.JobKindConfig;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Transaction;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The limited claim itself, raced: many claims at once on separate connections, as many processes would make them.
 * Only the advisory lock taken before the counting statement keeps them from each counting the same free slots.
 * The gather only migrates the database (jobs.enabled false: nothing else claims).
 */
class LimitedClaimsTest {
  private static final int CLAIMERS = 16;
  private static RunningGather gather;
  private static Pool pool;

  @BeforeAll
  static void start() {
    gather = RunningGather.start(new JsonObject().put("jobs", new JsonObject().put("enabled", false)));
    pool = PgBuilder.pool().with(new PoolOptions().setMaxSize(CLAIMERS))
        .connectingTo(PgConnectOptions.fromUri(gather.databaseUrl)).using(gather.vertx).build();
  }

  @AfterAll
  static void stop() throws Exception {
    pool.close().await(10, TimeUnit.SECONDS);
    gather.close();
  }

  @Test
  void sixteenConcurrentClaimsTakeNoMoreThanTheConcurrencyLimit() throws Exception {
    queue("race.concurrency", 50);
    JobKindConfig kind = new JobKindConfig("race.concurrency",
        Optional.of(new JobKindConfig.Concurrency(2, Optional.empty())), Optional.empty(), false);
    assertEquals(2, race(kind), "claimed across all claimers");
  }

  @Test
  void sixteenConcurrentClaimsTakeNoMoreThanTheRateLimit() throws Exception {
    queue("race.rate", 50);
    JobKindConfig kind = new JobKindConfig("race.rate", Optional.empty(),
        Optional.of(new JobKindConfig.Rate(3, 60_000, Optional.empty())), false);
    assertEquals(3, race(kind), "claimed across all claimers");
  }

  @Test
  void aClaimOfAFullRateSaysWhenToLookAgain() throws Exception {
    queue("race.recheck", 5);
    JobKindConfig kind = new JobKindConfig("race.recheck", Optional.empty(),
        Optional.of(new JobKindConfig.Rate(1, 60_000, Optional.empty())), false);
    LimitedClaims claims = new LimitedClaims(pool, 10_000);
    assertEquals(1, claims.claim("one", List.of(kind), 10, 10_000).await(10, TimeUnit.SECONDS).jobs().size());
    LimitedClaims.Result full = claims.claim("two", List.of(kind), 10, 10_000).await(10, TimeUnit.SECONDS);
    assertEquals(0, full.jobs().size());
    long recheck = full.recheckMs().orElseThrow();
    assertTrue(recheck > 55_000 && recheck <= 60_000, "the oldest start leaves the minute's window in " + recheck + " ms");
  }

  /**
   * The case the lock is for: a claim that starts while another's is uncommitted must not count from a snapshot
   * without it. Here the first claim holds its transaction open, a job of higher priority arrives, and the second
   * claim (on its own connection) must wait for the first and then find the limit taken, not claim the new job.
   */
  @Test
  void aClaimWaitsForTheOneInFlightAndCountsWhatItTook() throws Exception {
    queue("race.held", 5);
    JobKindConfig kind = new JobKindConfig("race.held",
        Optional.of(new JobKindConfig.Concurrency(2, Optional.empty())), Optional.empty(), false);
    SqlConnection first = pool.getConnection().await(10, TimeUnit.SECONDS);
    try {
      Transaction transaction = first.begin().await(10, TimeUnit.SECONDS);
      first.preparedQuery(JobStore.CLAIM_LIMITED_LOCK).execute(LimitedClaims.lockValues(List.of(kind)))
          .await(10, TimeUnit.SECONDS);
      LimitedClaims.Result took = LimitedClaims.result(first.preparedQuery(JobStore.CLAIM_LIMITED)
          .execute(LimitedClaims.claimValues("first", List.of(kind), 10, 10_000)).await(10, TimeUnit.SECONDS));
      assertEquals(2, took.jobs().size());
      TestDatabase.execute(PgConnectOptions.fromUri(gather.databaseUrl), "INSERT INTO jobs (kind, input, priority, "
          + "max_attempts, timeout_ms) VALUES ('race.held', '{}', 10, 3, 60000)");

      Future<LimitedClaims.Result> second = new LimitedClaims(pool, 10_000).claim("second", List.of(kind), 10, 10_000);
      Await.until("the second claim to wait for the first one's lock", Duration.ofSeconds(10), () -> pool
          .query("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted").execute()
          .await(5, TimeUnit.SECONDS).iterator().next().getLong(0) > 0);
      transaction.commit().await(10, TimeUnit.SECONDS);
      assertEquals(0, second.await(10, TimeUnit.SECONDS).jobs().size(), "two run: the limit is taken");
    } finally {
      first.close();
    }
  }

  private static int race(JobKindConfig kind) throws Exception {
    LimitedClaims claims = new LimitedClaims(pool, 10_000);
    List<Future<LimitedClaims.Result>> all = new ArrayList<>();
    for (int i = 0; i < CLAIMERS; i++) {
      all.add(claims.claim("claimer-" + i, List.of(kind), 10, 10_000));
    }
    Future.all(all).await(30, TimeUnit.SECONDS);
    return all.stream().mapToInt(claim -> claim.result().jobs().size()).sum();
  }

  private static void queue(String kind, int jobs) {
    TestDatabase.execute(PgConnectOptions.fromUri(gather.databaseUrl), "INSERT INTO jobs (kind, input, max_attempts, "
        + "timeout_ms) SELECT '" + kind + "', '{}', 3, 60000 FROM generate_series(1, " + jobs + ")");
  }
}
