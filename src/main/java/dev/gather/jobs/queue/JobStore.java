package dev.gather.jobs.queue;

import dev.gather.db.DbFailure;
import dev.gather.db.Page;
import dev.gather.failure.Failure;
import dev.gather.failure.FailureKind;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * The jobs table, queried on the caller's event loop: the HTTP verticles enqueue, read and cancel; the jobs
 * verticle claims, finishes, renews, rescues and cleans up over its own pool. Failures are {@link Failure}s. Changes that make jobs runnable NOTIFY {@value #WAKE_CHANNEL}
 * (inserts through the {@link Waker}, one at a time; retries and rescues in their statement), so idle workers in
 * every process wake at once.
 */
public final class JobStore {
  public static final String WAKE_CHANNEL = "gather_jobs";
  public static final String CANCEL_CHANNEL = "gather_jobs_cancel";
  /** The most jobs one INSERT batch carries; {@code POST /jobs/batch} takes as many, so a batch normally commits once. */
  public static final int MAX_ENQUEUE_BATCH = 1000;

  /** No NOTIFY here: at commit a NOTIFY takes a database-wide lock, which would serialize every enqueue. See {@link Waker}. */
  static final String INSERT = "INSERT INTO jobs (kind, input, priority, run_at, max_attempts, timeout_ms, idempotency_key)"
      + " VALUES ($1, $2, $3, COALESCE($4, now()), $5, $6, $7)"
      + " ON CONFLICT (idempotency_key) DO NOTHING RETURNING " + Job.COLUMNS + ", run_at <= now() AS due";
  static final String NOTIFY = "SELECT pg_notify('" + WAKE_CHANNEL + "', '')";
  static final String SELECT_BY_KEY =
      "SELECT " + Job.COLUMNS + ", (kind = $2 AND input = $3) AS same_request FROM jobs WHERE idempotency_key = $1";
  static final String SELECT_BY_ID = "SELECT " + Job.COLUMNS + " FROM jobs WHERE id = $1";
  /**
   * One statement per combination of filters rather than "$2 IS NULL OR status = $2": a cached statement may get a
   * generic plan, which could then not use the (status, id) and (kind, id) indexes for a rare status.
   */
  static final String SELECT_PAGE = "SELECT " + Job.COLUMNS + " FROM jobs WHERE id < $1 ORDER BY id DESC LIMIT $2";
  static final String SELECT_PAGE_BY_STATUS =
      "SELECT " + Job.COLUMNS + " FROM jobs WHERE id < $1 AND status = $3 ORDER BY id DESC LIMIT $2";
  static final String SELECT_PAGE_BY_KIND =
      "SELECT " + Job.COLUMNS + " FROM jobs WHERE id < $1 AND kind = $3 ORDER BY id DESC LIMIT $2";
  static final String SELECT_PAGE_BY_STATUS_AND_KIND =
      "SELECT " + Job.COLUMNS + " FROM jobs WHERE id < $1 AND status = $3 AND kind = $4 ORDER BY id DESC LIMIT $2";
  /** A queued job is cancelled at once; a running one is flagged, and its worker told through NOTIFY. */
  static final String CANCEL = "WITH target AS (SELECT id, status FROM jobs WHERE id = $1 FOR UPDATE),"
      + " changed AS (UPDATE jobs j SET"
      + "   status = CASE WHEN target.status = 'queued' THEN 'cancelled' ELSE j.status END,"
      + "   finished_at = CASE WHEN target.status = 'queued' THEN now() ELSE j.finished_at END,"
      + "   last_error = CASE WHEN target.status = 'queued' THEN 'cancelled by request' ELSE j.last_error END,"
      + "   cancel_requested = true"
      + " FROM target WHERE j.id = target.id AND target.status IN ('queued', 'running') RETURNING j.*)"
      + " SELECT " + Job.COLUMNS + ", CASE WHEN status = 'running' THEN pg_notify('" + CANCEL_CHANNEL
      + "', id::text) END AS told FROM changed";
  static final String CLAIM = "WITH next AS ("
      + " SELECT id FROM jobs WHERE status = 'queued' AND run_at <= now() AND kind = ANY($1)"
      + " ORDER BY priority DESC, run_at, id LIMIT $2 FOR UPDATE SKIP LOCKED)"
      + " UPDATE jobs j SET status = 'running', attempts = j.attempts + 1, lease_owner = $3,"
      + "   lease_expires_at = now() + $4::bigint * interval '1 millisecond', started_at = now()"
      + " FROM next WHERE j.id = next.id"
      + " RETURNING j.id, j.kind, j.input, j.attempts, j.max_attempts, j.timeout_ms, j.priority, j.run_at";
  /**
   * Applies many outcomes at once. The lease owner and attempt fence it: a worker whose job was rescued and
   * claimed again elsewhere cannot overwrite the newer run. A job someone asked to cancel never goes back to the
   * queue (neither as a retry nor when handed back at shutdown): it ends cancelled.
   */
  static final String FINISH = "WITH o AS ("
      + "  SELECT * FROM unnest($1::bigint[], $2::int[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::bool[])"
      + "  AS o(id, attempt, status, result, error, delay_ms, released)),"
      // Rows locked in id order, as the heartbeat does: two multi-row updates in different orders deadlock.
      + " locked AS (SELECT j.id FROM jobs j JOIN o ON j.id = o.id ORDER BY j.id FOR UPDATE OF j),"
      + " done AS (UPDATE jobs j SET"
      + "   status = CASE WHEN o.status = 'queued' AND j.cancel_requested THEN 'cancelled' ELSE o.status END,"
      + "   result = o.result::jsonb,"
      + "   last_error = COALESCE(o.error, j.last_error),"
      + "   attempts = CASE WHEN o.released THEN j.attempts - 1 ELSE j.attempts END,"
      + "   run_at = CASE WHEN o.status = 'queued' THEN now() + o.delay_ms * interval '1 millisecond' ELSE j.run_at END,"
      + "   started_at = CASE WHEN o.released THEN NULL ELSE j.started_at END,"
      + "   finished_at = CASE WHEN o.status = 'queued' AND NOT j.cancel_requested THEN NULL ELSE now() END,"
      // The owner stays on a finished job, so GET /jobs/{id} tells which process ran it.
      + "   lease_owner = CASE WHEN o.released THEN NULL ELSE j.lease_owner END, lease_expires_at = NULL"
      + " FROM o JOIN locked ON locked.id = o.id"
      + " WHERE j.id = o.id AND j.attempts = o.attempt AND j.lease_owner = $8 AND j.status = 'running'"
      + " RETURNING j.id, j.kind, j.status, j.run_at)"
      + " SELECT id, CASE WHEN status = 'queued' AND run_at <= now() THEN pg_notify('" + WAKE_CHANNEL
      + "', kind) END AS woke FROM done";
  /** Renews a lease only for the run that holds it (owner and attempt), never a later claim of the same job. */
  static final String HEARTBEAT = "UPDATE jobs j SET lease_expires_at = now() + $4::bigint * interval '1 millisecond'"
      + " FROM (SELECT h.id FROM jobs h JOIN unnest($2::bigint[], $3::int[]) AS l(id, attempt)"
      + "   ON h.id = l.id AND h.attempts = l.attempt"
      + "   WHERE h.status = 'running' AND h.lease_owner = $1 ORDER BY h.id FOR UPDATE OF h) mine"
      + " WHERE j.id = mine.id"
      + " RETURNING j.id, j.attempts, j.cancel_requested";
  /** A lease that ran out means the worker died or hung: the attempt is spent, and the job goes back or fails. */
  static final String RESCUE = "WITH expired AS ("
      + "  SELECT id FROM jobs WHERE status = 'running' AND lease_expires_at < now() FOR UPDATE SKIP LOCKED),"
      + " rescued AS (UPDATE jobs j SET"
      + "   status = CASE WHEN j.cancel_requested THEN 'cancelled' WHEN j.attempts >= j.max_attempts THEN 'failed'"
      + "     ELSE 'queued' END,"
      + "   finished_at = CASE WHEN j.cancel_requested OR j.attempts >= j.max_attempts THEN now() ELSE NULL END,"
      + "   run_at = now(), rescues = j.rescues + 1,"
      + "   last_error = 'lease expired: worker ' || COALESCE(j.lease_owner, '?') || ' stopped renewing it',"
      + "   lease_owner = NULL, lease_expires_at = NULL"
      + " FROM expired WHERE j.id = expired.id RETURNING j.id, j.kind, j.status)"
      + " SELECT id, status, CASE WHEN status = 'queued' THEN pg_notify('" + WAKE_CHANNEL + "', kind) END AS woke"
      + " FROM rescued";
  static final String CLEAN = "DELETE FROM jobs WHERE id IN ("
      + " SELECT id FROM jobs WHERE status IN ('succeeded', 'failed', 'cancelled')"
      + " AND finished_at < now() - $1::bigint * interval '1 millisecond' LIMIT $2)";
  /** Only the queue itself (both covered by partial indexes): finished jobs can be a day's worth of rows. */
  static final String DEPTH = "SELECT status, kind, count(*) AS jobs FROM jobs WHERE status IN ('queued', 'running')"
      + " GROUP BY status, kind";

  static final String ANALYZE = "ANALYZE jobs";

  private final SqlClient db;
  private final long timeoutMs;
  private final Waker waker;
  private final Enqueuer enqueuer;

  /**
   * {@code db}: the pool of the verticle that uses this store (the API's, or the job workers' own);
   * {@code timeoutMs}: the longest any of its calls waits for the database.
   */
  public JobStore(Vertx vertx, SqlClient db, long timeoutMs) {
    this.db = db;
    this.timeoutMs = timeoutMs;
    this.waker = new Waker(vertx, db);
    this.enqueuer = new Enqueuer(db, INSERT);
  }

  public Future<JobRequests.Enqueued> enqueue(JobRequests.Enqueue request) {
    Tuple values = Tuple.of(request.kind(), request.input(), (short) request.priority(), request.runAt().orElse(null),
        request.maxAttempts(), (int) request.timeoutMs(), request.idempotencyKey().orElse(null));
    return bounded(enqueuer.insert(values)).compose(inserted -> {
      if (inserted.isEmpty()) {
        return replay(request);
      }
      Row row = inserted.get();
      if (row.getBoolean("due")) {
        waker.wake();
      }
      return Future.succeededFuture(new JobRequests.Enqueued(Job.from(row), false));
    });
  }

  /**
   * Wakes idle workers after inserts: this process's at once over the event bus, every process's through one
   * NOTIFY at a time. Inserts that commit while a NOTIFY is in flight share the next one, so under load there are
   * a few hundred NOTIFYs a second however many jobs arrive, and an idle queue still wakes within a round trip.
   */
  private static final class Waker {
    private static final Object WAKE = new Object();
    private final Vertx vertx;
    private final GroupCommit<Object> notifies;

    Waker(Vertx vertx, SqlClient db) {
      this.vertx = vertx;
      this.notifies = new GroupCommit<>(Integer.MAX_VALUE, wakes -> db.query(NOTIFY).execute());
    }

    void wake() {
      vertx.eventBus().publish(JobRequests.WAKE, "");
      notifies.add(WAKE);
    }
  }

  /** Every job of the batch reaches the enqueuer at once, so they share one commit. In the order given. */
  public Future<List<JobRequests.Enqueued>> enqueueMany(List<JobRequests.Enqueue> requests) {
    List<Future<JobRequests.Enqueued>> each = requests.stream().map(this::enqueue).toList();
    return Future.all(each).map(all -> each.stream().map(Future::result).toList());
  }

  /** The key was used before: the same request gets the same job; a different one is a conflict. */
  private Future<JobRequests.Enqueued> replay(JobRequests.Enqueue request) {
    String key = request.idempotencyKey().orElseThrow();
    return bounded(db.preparedQuery(SELECT_BY_KEY).execute(Tuple.of(key, request.kind(), request.input())))
        .compose(rows -> {
          if (rows.size() == 0) {
            // Deleted by retention between the insert and this read: the key is free again.
            return enqueue(request);
          }
          Row row = rows.iterator().next();
          if (!row.getBoolean("same_request")) {
            return Future.failedFuture(new Failure(FailureKind.CONFLICT, "Idempotency-Key \"" + key
                + "\" was already used for job " + row.getLong("id")
                + " with a different kind or input; use a new key for a different job"));
          }
          return Future.succeededFuture(new JobRequests.Enqueued(Job.from(row), true));
        });
  }

  public Future<Job> get(long id) {
    return bounded(db.preparedQuery(SELECT_BY_ID).execute(Tuple.of(id)))
        .compose(rows -> rows.size() == 0
            ? Future.failedFuture(new Failure(FailureKind.NOT_FOUND, "no job with id " + id))
            : Future.succeededFuture(Job.from(rows.iterator().next())));
  }

  /** Newest first: jobs with an id below {@code before}, of this status and kind when given. */
  public Future<Page<Job>> list(Optional<String> status, Optional<String> kind, long before, int limit) {
    Tuple values = Tuple.of(before, Page.limitFor(limit));
    status.ifPresent(values::addValue);
    kind.ifPresent(values::addValue);
    String sql = status.isPresent()
        ? (kind.isPresent() ? SELECT_PAGE_BY_STATUS_AND_KIND : SELECT_PAGE_BY_STATUS)
        : (kind.isPresent() ? SELECT_PAGE_BY_KIND : SELECT_PAGE);
    return bounded(db.preparedQuery(sql).execute(values))
        .map(rows -> Page.of(rows, limit, Job::from, Job::id));
  }

  public Future<Job> cancel(long id) {
    return bounded(db.preparedQuery(CANCEL).execute(Tuple.of(id))).compose(rows -> {
      if (rows.size() > 0) {
        return Future.succeededFuture(Job.from(rows.iterator().next()));
      }
      return get(id).compose(job -> Future.failedFuture(new Failure(FailureKind.CONFLICT,
          "job " + job.id() + " has already " + job.status() + "; only queued and running jobs can be cancelled")));
    });
  }

  /** Up to {@code limit} due jobs of these kinds, leased to {@code owner} for {@code leaseMs}, in run order. */
  public Future<List<JobRequests.Claimed>> claim(String owner, List<String> kinds, int limit, long leaseMs) {
    Tuple values = Tuple.of(kinds.toArray(String[]::new), limit, owner, leaseMs);
    return bounded(db.preparedQuery(CLAIM).execute(values)).map(rows -> {
      // UPDATE ... RETURNING comes in no particular order; run the jobs in the order the claim chose them.
      List<Row> ordered = new ArrayList<>(rows.size());
      rows.forEach(ordered::add);
      ordered.sort(Comparator.<Row>comparingInt(row -> -row.getInteger("priority"))
          .thenComparing(row -> row.getOffsetDateTime("run_at"))
          .thenComparingLong(row -> row.getLong("id")));
      return ordered.stream().map(row -> new JobRequests.Claimed(row.getLong("id"),
          row.getString("kind"), (JsonObject) row.getJson("input"), row.getInteger("attempts"),
          row.getInteger("max_attempts"), row.getInteger("timeout_ms"))).toList();
    });
  }

  /** Stores run outcomes in one statement; only those still leased by {@code owner} apply. Their ids. */
  public Future<List<Long>> finish(String owner, List<Outcome> outcomes) {
    int n = outcomes.size();
    Long[] ids = new Long[n];
    Integer[] attempts = new Integer[n];
    String[] statuses = new String[n];
    String[] results = new String[n];
    String[] errors = new String[n];
    Long[] delays = new Long[n];
    Boolean[] released = new Boolean[n];
    for (int i = 0; i < n; i++) {
      Outcome o = outcomes.get(i);
      ids[i] = o.id();
      attempts[i] = o.attempt();
      statuses[i] = o.status();
      results[i] = o.result() == null ? null : o.result().encode();
      errors[i] = o.error();
      delays[i] = o.delayMs();
      released[i] = o.released();
    }
    Tuple values = Tuple.of(ids, attempts, statuses, results, errors, delays, released, owner);
    return bounded(db.preparedQuery(FINISH).execute(values)).map(JobStore::ids);
  }

  /** Renews the leases {@code owner} still holds; says which, and which of them someone asked to cancel. */
  public Future<JobRequests.Renewed> heartbeat(String owner, List<JobRequests.Lease> leases, long leaseMs) {
    Tuple values = Tuple.of(owner,
        leases.stream().map(JobRequests.Lease::id).toArray(Long[]::new),
        leases.stream().map(JobRequests.Lease::attempt).toArray(Integer[]::new),
        leaseMs);
    return bounded(db.preparedQuery(HEARTBEAT).execute(values)).map(rows -> {
      List<JobRequests.Lease> renewed = new ArrayList<>(rows.size());
      List<Long> cancel = new ArrayList<>();
      for (Row row : rows) {
        renewed.add(new JobRequests.Lease(row.getLong("id"), row.getInteger("attempts")));
        if (row.getBoolean("cancel_requested")) {
          cancel.add(row.getLong("id"));
        }
      }
      return new JobRequests.Renewed(renewed, cancel);
    });
  }

  public Future<JobRequests.Rescued> rescue() {
    return bounded(db.preparedQuery(RESCUE).execute()).map(rows -> {
      List<Long> requeued = new ArrayList<>();
      List<Long> failed = new ArrayList<>();
      for (Row row : rows) {
        (JobStatus.QUEUED.equals(row.getString("status")) ? requeued : failed).add(row.getLong("id"));
      }
      return new JobRequests.Rescued(requeued, failed);
    });
  }

  /** Deletes up to {@code batch} jobs finished longer than {@code retentionMs} ago; how many. */
  public Future<Integer> clean(long retentionMs, int batch) {
    // Fresh statistics keep the claim on its index even where autovacuum is off; ANALYZE samples, so it is cheap.
    return bounded(db.preparedQuery(CLEAN).execute(Tuple.of(retentionMs, batch)))
        .compose(rows -> rows.rowCount() == batch
            ? Future.succeededFuture(rows.rowCount()) // more batches follow; analyze after
            : bounded(db.query(ANALYZE).execute()).map(rows.rowCount()));
  }

  /** Queued and running jobs by status and kind. */
  public Future<List<JobRequests.DepthRow>> depth() {
    return bounded(db.query(DEPTH).execute()).map(rows -> {
      List<JobRequests.DepthRow> depths = new ArrayList<>(rows.size());
      for (Row row : rows) {
        depths.add(new JobRequests.DepthRow(row.getString("status"), row.getString("kind"), row.getLong("jobs")));
      }
      return depths;
    });
  }

  private <T> Future<T> bounded(Future<T> query) {
    return DbFailure.bounded(query, timeoutMs);
  }

  private static List<Long> ids(RowSet<Row> rows) {
    List<Long> ids = new ArrayList<>(rows.size());
    rows.forEach(row -> ids.add(row.getLong("id")));
    return ids;
  }
}
