package dev.gather.jobs.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gather.Await;
import dev.gather.TestDatabase;
import dev.gather.config.JobKindConfig;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnection;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Transaction;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A claim reads the rows of the kinds it may take, not the backlog of the others: a long queue of a paused kind, of
 * a kind another process runs, or of a limited kind that is full, costs the claims of every other kind nothing. Read
 * from the plan PostgreSQL ran (EXPLAIN ANALYZE counts the rows each node of the statement read), not from a
 * timing. Each case runs on a new database, the plain claim both without statistics (as right after the
 * migrations, with autovacuum off) and after ANALYZE, since the planner may choose differently.
 */
class JobClaimScanTest {
  private static final int BACKLOG = 20_000;
  /** Far fewer than one backlog: what reading the claimable kinds' own first rows takes. */
  private static final int FEW_ROWS = 100;
  private static Vertx vertx;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  @ParameterizedTest(name = "analyzed: {0}")
  @ValueSource(booleans = {false, true})
  void aPlainClaimReadsNeitherAPausedBacklogNorThatOfKindsItDoesNotRun(boolean analyzed) throws Exception {
    String url = migratedDatabase();
    queue(url, "scan.paused", BACKLOG, 5);
    queue(url, "scan.elsewhere", BACKLOG, 5);
    queue(url, "scan.free", 1, 0);
    pause(url, "scan.paused");
    if (analyzed) {
      sql(url, "ANALYZE jobs");
    }
    Pool pool = pool(url);
    try {
      long read = rowsRead(pool.preparedQuery(explained(JobStore.CLAIM))
          .execute(claimValues(List.of("scan.free", "scan.paused"), 10, "scan"))
          .await(30, TimeUnit.SECONDS).iterator().next());
      assertEquals(List.of("scan.free"), running(pool), "the one due job of a claimable kind, and nothing else");
      assertTrue(read < FEW_ROWS, "the claim read " + read + " rows of jobs behind two backlogs of " + BACKLOG);
    } finally {
      pool.close().await(10, TimeUnit.SECONDS);
    }
  }

  /**
   * After ANALYZE only: without statistics the planner counts the running jobs (CTE running) through jobs_by_kind,
   * which reads every row of a limited kind whatever its status, backlog included; that is the count's plan, not
   * the search for candidates this is about, and without statistics the search took jobs_by_kind too.
   */
  @Test
  void aLimitedClaimReadsNoBacklogOfAKindThatIsFullOrPaused() throws Exception {
    String url = migratedDatabase();
    queue(url, "scan.full", BACKLOG, 5);
    sql(url, "UPDATE jobs SET status = 'running', lease_owner = 'other', "
        + "lease_expires_at = now() + interval '1 hour', started_at = now() WHERE id = (SELECT min(id) FROM jobs)");
    queue(url, "scan.paused", BACKLOG, 5);
    queue(url, "scan.open", 1, 0);
    pause(url, "scan.paused");
    sql(url, "ANALYZE jobs");
    List<JobKindConfig> kinds = List.of(limitedToOne("scan.full"), limitedToOne("scan.open"), limitedToOne("scan.paused"));
    Pool pool = pool(url);
    try {
      Row plan = pool.withTransaction(connection -> connection.preparedQuery(JobStore.CLAIM_LIMITED_LOCK)
          .execute(LimitedClaims.lockValues(kinds))
          .compose(locked -> connection.preparedQuery(explained(JobStore.CLAIM_LIMITED))
              .execute(LimitedClaims.claimValues("scan", kinds, 10, 10_000)))
          .map(rows -> rows.iterator().next())).await(30, TimeUnit.SECONDS);
      long read = rowsRead(plan);
      assertEquals(List.of("scan.full", "scan.open"), running(pool), "the full kind's one, and the open kind's job");
      assertTrue(read < FEW_ROWS, "the claim read " + read + " rows of jobs behind two backlogs of " + BACKLOG);
    } finally {
      pool.close().await(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void aClaimOfSeveralKindsTakesTheFirstJobsInClaimOrderAcrossThem() throws Exception {
    String url = migratedDatabase();
    queue(url, "scan.low", 3, 0);
    queue(url, "scan.high", 2, 7);
    queue(url, "scan.mid", 3, 3);
    Pool pool = pool(url);
    try {
      RowSet<Row> claimed = claim(pool, List.of("scan.low", "scan.high", "scan.mid"), 4, "one");
      assertEquals(List.of("scan.high", "scan.high", "scan.mid", "scan.mid"),
          JobStore.claimed(claimed).stream().map(JobRequests.Claimed::kind).toList(),
          "by priority across the kinds, then by age within one");
      assertEquals(List.of("scan.high", "scan.high", "scan.mid", "scan.mid"), running(pool));
    } finally {
      pool.close().await(10, TimeUnit.SECONDS);
    }
  }

  /**
   * A claim locks each kind's first rows and keeps only the best of them; until it commits, a claim running beside
   * it skips the rest and may come back empty-handed with jobs due. The first claim wakes the workers of the kinds it
   * left behind, once it commits, and the second claim then gets them.
   */
  @Test
  void aClaimThatLeftLockedJobsBehindWakesTheWorkersOfTheirKindOnceItCommits() throws Exception {
    String url = migratedDatabase();
    queue(url, "scan.first", 10, 5);
    queue(url, "scan.second", 10, 0);
    Pool pool = pool(url);
    PgConnection listener = PgConnection.connect(vertx, PgConnectOptions.fromUri(url)).await(10, TimeUnit.SECONDS);
    List<String> wakeUps = new java.util.concurrent.CopyOnWriteArrayList<>();
    listener.notificationHandler(notification -> {
      if (notification.getChannel().equals(JobStore.WAKE_CHANNEL)) {
        wakeUps.add(notification.getPayload());
      }
    });
    listener.query("LISTEN " + JobStore.WAKE_CHANNEL).execute().await(10, TimeUnit.SECONDS);
    SqlConnection first = pool.getConnection().await(10, TimeUnit.SECONDS);
    try {
      Transaction open = first.begin().await(10, TimeUnit.SECONDS);
      List<String> kinds = List.of("scan.first", "scan.second");
      assertEquals(10, first.preparedQuery(JobStore.CLAIM).execute(claimValues(kinds, 10, "first"))
          .await(10, TimeUnit.SECONDS).size(), "the first kind's ten, the second kind's ten locked and left");
      assertEquals(0, claim(pool, kinds, 10, "beside").size(), "beside the open claim, every due job is locked");
      open.commit().await(10, TimeUnit.SECONDS);
      Await.until("a wake-up for the kind left behind", Duration.ofSeconds(10), () -> wakeUps.contains("scan.second"));
      assertEquals(List.of("scan.second"), wakeUps.stream().distinct().toList(), "nothing for the kind it took whole");
      assertEquals(10, claim(pool, kinds, 10, "woken").size(), "once woken, the second claim gets them");
    } finally {
      first.close().await(10, TimeUnit.SECONDS);
      listener.close().await(10, TimeUnit.SECONDS);
      pool.close().await(10, TimeUnit.SECONDS);
    }
  }

  private static RowSet<Row> claim(Pool pool, List<String> kinds, int limit, String owner) throws Exception {
    return pool.preparedQuery(JobStore.CLAIM).execute(claimValues(kinds, limit, owner)).await(10, TimeUnit.SECONDS);
  }

  private static Tuple claimValues(List<String> kinds, int limit, String owner) {
    return Tuple.of(kinds.toArray(new String[0]), limit, owner, 10_000L);
  }

  private static JobKindConfig limitedToOne(String kind) {
    return new JobKindConfig(kind, Optional.of(new JobKindConfig.Concurrency(1, Optional.empty())), Optional.empty(), false);
  }

  /** The statement run for real (ANALYZE executes it) with its plan as the answer. */
  private static String explained(String sql) {
    return "EXPLAIN (ANALYZE, FORMAT JSON)\n" + sql;
  }

  /**
   * Rows the statement took from the table jobs and its indexes: each scan node's rows, those its filter dropped,
   * and those a lossy bitmap dropped, times the node's loops.
   */
  private static long rowsRead(Row explain) {
    Object value = explain.getValue(0);
    JsonArray plans = value instanceof JsonArray array ? array : new JsonArray(value.toString());
    return rowsRead(plans.getJsonObject(0).getJsonObject("Plan"));
  }

  private static long rowsRead(JsonObject node) {
    boolean onJobs = "jobs".equals(node.getString("Relation Name"))
        || node.getString("Index Name", "").startsWith("jobs");
    long read = onJobs ? (node.getLong("Actual Rows", 0L) + node.getLong("Rows Removed by Filter", 0L)
        + node.getLong("Rows Removed by Index Recheck", 0L)) * node.getLong("Actual Loops", 1L) : 0;
    for (Object child : node.getJsonArray("Plans", new JsonArray())) {
      read += rowsRead((JsonObject) child);
    }
    return read;
  }

  private static List<String> running(Pool pool) throws Exception {
    return pool.query("SELECT kind FROM jobs WHERE status = 'running' ORDER BY kind").execute()
        .await(10, TimeUnit.SECONDS).stream().map(row -> row.getString("kind")).toList();
  }

  /** A new database with gather's schema, as the migrations leave it. */
  private static String migratedDatabase() {
    String url = TestDatabase.fresh();
    PgConnectOptions target = PgConnectOptions.fromUri(url);
    Flyway.configure().dataSource(TestDatabase.jdbcUrl(target), target.getUser(), target.getPassword())
        .locations("classpath:db/migration").load().migrate();
    // No statistics means none: an autovacuum that analyzed the table first would test the other plan in silence.
    TestDatabase.execute(target, "ALTER TABLE jobs SET (autovacuum_enabled = off)");
    return url;
  }

  private static Pool pool(String url) {
    return PgBuilder.pool().with(new PoolOptions().setMaxSize(2)).connectingTo(PgConnectOptions.fromUri(url))
        .using(vertx).build();
  }

  private static void pause(String url, String kind) {
    sql(url, "INSERT INTO job_kinds (kind, paused) VALUES ('" + kind + "', true)");
  }

  private static void sql(String url, String statement) {
    TestDatabase.execute(PgConnectOptions.fromUri(url), statement);
  }

  private static void queue(String url, String kind, int jobs, int priority) {
    sql(url, "INSERT INTO jobs (kind, input, priority, max_attempts, "
        + "timeout_ms) SELECT '" + kind + "', '{}', " + priority + ", 3, 60000 FROM generate_series(1, " + jobs + ")");
  }
}
