package dev.gather.jobs.queue;

import dev.gather.config.JobKindConfig;
import dev.gather.db.DbFailure;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.util.List;
import java.util.OptionalLong;

/**
 * Claims of kinds with a concurrency or rate limit (jobs.kinds), enforced by PostgreSQL for every gather on the
 * database: one transaction takes an advisory lock per kind (claim_limited_lock.sql), then counts what runs and
 * what started in the window and claims only what fits (claim_limited.sql). Claims of one limited kind are thus
 * serialized across processes; plain kinds never come here and keep their lock-free claim.sql.
 */
public final class LimitedClaims {
  /**
   * How many due jobs one claim looks at per limited kind, at most (after skipping full partitions), and in all.
   * Enough for any claim's want (jobs.prefetch plus the workers), small enough that a long queue never makes one
   * claim slow.
   */
  static final int MAX_CANDIDATES = 2000;

  private final Pool pool;
  private final long timeoutMs;

  public LimitedClaims(Pool pool, long timeoutMs) {
    this.pool = pool;
    this.timeoutMs = timeoutMs;
  }

  /**
   * What a limited claim got: the jobs, and, when some partition is full by its rate, in how many ms its oldest
   * start leaves the window (the claimer should look again then rather than wait for the poll).
   */
  public record Result(List<JobRequests.Claimed> jobs, OptionalLong recheckMs) {}

  /** Up to {@code limit} due jobs of {@code kinds} (each with a limit), sorted by name, within their limits. */
  public Future<Result> claim(String owner, List<JobKindConfig> kinds, int limit, long leaseMs) {
    Future<Result> claimed = pool.withTransaction(connection -> {
      // Both statements go out at once (the connection pipelines them); the server runs the claim only once the
      // lock statement has returned, so the claim's snapshot is taken after the wait (see claim_limited_lock.sql).
      Future<?> locked = connection.preparedQuery(JobStore.CLAIM_LIMITED_LOCK).execute(lockValues(kinds));
      Future<Result> result = connection.preparedQuery(JobStore.CLAIM_LIMITED)
          .execute(claimValues(owner, kinds, limit, leaseMs))
          .map(LimitedClaims::result);
      return locked.compose(ignored -> result);
    });
    return DbFailure.bounded(claimed, timeoutMs);
  }

  static Tuple lockValues(List<JobKindConfig> kinds) {
    return Tuple.of((Object) kinds.stream().map(JobKindConfig::kind).toArray(String[]::new));
  }

  /** The per-kind limits as the parallel arrays claim_limited.sql unnests (NULL where a kind has no such limit). */
  static Tuple claimValues(String owner, List<JobKindConfig> kinds, int limit, long leaseMs) {
    int n = kinds.size();
    String[] names = new String[n];
    Integer[] concurrency = new Integer[n];
    String[] concurrencyBy = new String[n];
    Integer[] rate = new Integer[n];
    Long[] periodMs = new Long[n];
    String[] rateBy = new String[n];
    for (int i = 0; i < n; i++) {
      JobKindConfig kind = kinds.get(i);
      names[i] = kind.kind();
      concurrency[i] = kind.concurrency().map(JobKindConfig.Concurrency::limit).orElse(null);
      concurrencyBy[i] = kind.concurrency().flatMap(JobKindConfig.Concurrency::byField).orElse(null);
      rate[i] = kind.rate().map(JobKindConfig.Rate::limit).orElse(null);
      periodMs[i] = kind.rate().map(JobKindConfig.Rate::periodMs).orElse(null);
      rateBy[i] = kind.rate().flatMap(JobKindConfig.Rate::byField).orElse(null);
    }
    return Tuple.of(names, concurrency, concurrencyBy, rate, periodMs, rateBy)
        .addValue(limit).addValue(owner).addValue(leaseMs).addValue(MAX_CANDIDATES);
  }

  static Result result(RowSet<Row> rows) {
    OptionalLong recheck = OptionalLong.empty();
    for (Row row : rows) {
      if (row.getLong("id") == null) {
        recheck = OptionalLong.of(row.getLong("recheck_ms"));
      }
    }
    return new Result(JobStore.claimed(rows), recheck);
  }
}
