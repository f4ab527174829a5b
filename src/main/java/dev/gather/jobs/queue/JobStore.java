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
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * The jobs table, queried on the caller's event loop: the HTTP verticles enqueue, read and cancel; the jobs
 * verticle claims, finishes, renews, rescues and cleans up over its own pool. Failures are {@link Failure}s. Changes that make jobs runnable NOTIFY {@value #WAKE_CHANNEL}
 * (inserts through the {@link Waker}, one at a time; retries and rescues in their statement), so idle workers in
 * every process wake at once.
 */
public final class JobStore {
  public static final String WAKE_CHANNEL = "gather_jobs";
  public static final String CANCEL_CHANNEL = "gather_jobs_cancel";
  /** Changes of watched jobs (see V6__job_progress.sql); the payload is the job id. */
  public static final String EVENTS_CHANNEL = "gather_job_events";
  /** The most jobs one INSERT batch carries; {@code POST /jobs/batch} takes as many, so a batch normally commits once. */
  public static final int MAX_ENQUEUE_BATCH = 1000;
  /**
   * How many times an enqueue that met a taken key inserts again because the holder was gone when looked up (it
   * left its states, or the period turned, in between). Each retry needs such a race; three in a row is a bug.
   */
  private static final int MAX_CONFLICT_RETRIES = 3;

  // The statements, in .sql files next to this class (see JobSql); each file says why it is written as it is.
  /** No NOTIFY in it: see {@link Waker}. */
  static final String INSERT = JobSql.load("insert");
  static final String NOTIFY = JobSql.load("notify");
  static final String SELECT_BY_KEY = JobSql.load("select_by_key");
  static final String SELECT_BY_UNIQUE_KEY = JobSql.load("select_by_unique_key");
  static final String SELECT_BY_ID = JobSql.load("select_by_id");
  static final String SELECT_PAGE = JobSql.load("select_page");
  static final String SELECT_PAGE_BY_STATUS = JobSql.load("select_page_by_status");
  static final String SELECT_PAGE_BY_KIND = JobSql.load("select_page_by_kind");
  static final String SELECT_PAGE_BY_STATUS_AND_KIND = JobSql.load("select_page_by_status_and_kind");
  static final String CANCEL = JobSql.load("cancel");
  static final String CLAIM = JobSql.load("claim");
  static final String CLAIM_LIMITED_LOCK = JobSql.load("claim_limited_lock");
  static final String CLAIM_LIMITED = JobSql.load("claim_limited");
  static final String KINDS = JobSql.load("kinds");
  static final String KIND = JobSql.load("kind");
  static final String PAUSE = JobSql.load("pause");
  static final String RESUME = JobSql.load("resume");
  static final String FINISH = JobSql.load("finish");
  static final String HEARTBEAT = JobSql.load("heartbeat");
  static final String RESCUE = JobSql.load("rescue");
  static final String CLEAN_CANDIDATES = JobSql.load("clean_candidates");
  static final String CLEAN = JobSql.load("clean");
  static final String DEPTH = JobSql.load("depth");
  static final String ANALYZE = JobSql.load("analyze");
  static final String WATCH = JobSql.load("watch");
  static final String SELECT_BY_IDS = JobSql.load("select_by_ids");

  /**
   * Reads the statements now, on the caller's thread: they are read from the jar when this class is first used,
   * which must not be on an event loop (a file read blocks). {@code Gather.start} calls it before any verticle.
   */
  public static void loadStatements() {
    // Nothing to do: calling a static method initialises the class, which reads every statement above.
  }

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
    return enqueue(request, 0);
  }

  private Future<JobRequests.Enqueued> enqueue(JobRequests.Enqueue request, int retries) {
    Optional<JobRequests.Unique> unique = request.unique();
    Tuple values = Tuple.of(request.kind(), request.input(), (short) request.priority(), request.runAt().orElse(null),
        request.maxAttempts(), (int) request.timeoutMs(), request.idempotencyKey().orElse(null),
        unique.map(JobRequests.Unique::values).orElse(null),
        unique.flatMap(JobRequests.Unique::periodSeconds).orElse(null),
        unique.map(u -> u.states().toArray(String[]::new)).orElse(null));
    return bounded(enqueuer.insert(values)).compose(inserted -> {
      if (inserted.isEmpty()) {
        return conflict(request, retries);
      }
      Row row = inserted.get();
      if (row.getBoolean("due")) {
        waker.wake();
      }
      return Future.succeededFuture(new JobRequests.Enqueued(Job.from(row), false, false));
    });
  }

  /**
   * The insert met a taken key: the Idempotency-Key (a replay, or a conflict), else the unique key (the job that
   * holds it is the answer). A key whose holder is gone by now (deleted by retention, or out of its states) is
   * free again, so the job is inserted anew.
   */
  private Future<JobRequests.Enqueued> conflict(JobRequests.Enqueue request, int retries) {
    Future<Optional<JobRequests.Enqueued>> existing = request.idempotencyKey().isPresent()
        ? replay(request)
        : Future.succeededFuture(Optional.empty());
    return existing
        .compose(found -> found.isPresent() || request.unique().isEmpty()
            ? Future.succeededFuture(found)
            : holder(request.unique().get()))
        .compose(found -> {
          if (found.isPresent()) {
            return Future.succeededFuture(found.get());
          }
          if (retries >= MAX_CONFLICT_RETRIES) {
            return Future.failedFuture(new Failure(FailureKind.UNAVAILABLE, "job " + request.kind()
                + " met a taken key " + (retries + 1) + " times whose holder was gone each time; try again"));
          }
          return enqueue(request, retries + 1);
        });
  }

  private Future<Optional<JobRequests.Enqueued>> holder(JobRequests.Unique unique) {
    Tuple values = Tuple.of(unique.values(), unique.periodSeconds().orElse(null));
    return bounded(db.preparedQuery(SELECT_BY_UNIQUE_KEY).execute(values)).map(rows -> rows.size() == 0
        ? Optional.empty()
        : Optional.of(new JobRequests.Enqueued(Job.from(rows.iterator().next()), false, true)));
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

  /**
   * The Idempotency-Key was used before: the same request gets the same job; a different one is a conflict. Empty
   * when no job has the key (deleted by retention since, or the insert met a unique key instead).
   */
  private Future<Optional<JobRequests.Enqueued>> replay(JobRequests.Enqueue request) {
    String key = request.idempotencyKey().orElseThrow();
    return bounded(db.preparedQuery(SELECT_BY_KEY).execute(Tuple.of(key, request.kind(), request.input())))
        .compose(rows -> {
          if (rows.size() == 0) {
            return Future.succeededFuture(Optional.empty());
          }
          Row row = rows.iterator().next();
          if (!row.getBoolean("same_request")) {
            return Future.failedFuture(new Failure(FailureKind.CONFLICT, "Idempotency-Key \"" + key
                + "\" was already used for job " + row.getLong("id")
                + " with a different kind or input; use a new key for a different job"));
          }
          return Future.succeededFuture(Optional.of(new JobRequests.Enqueued(Job.from(row), true, false)));
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

  /** Marks the job watched (its changes NOTIFY {@value #EVENTS_CHANNEL} from now on) and returns it as it is. */
  public Future<Job> watch(long id) {
    return bounded(db.preparedQuery(WATCH).execute(Tuple.of(id)))
        .compose(rows -> rows.size() == 0
            ? Future.failedFuture(new Failure(FailureKind.NOT_FOUND, "no job with id " + id))
            : Future.succeededFuture(Job.from(rows.iterator().next())));
  }

  /** These jobs as they are now; those deleted since are missing. */
  public Future<List<Job>> getAll(List<Long> ids) {
    return bounded(db.preparedQuery(SELECT_BY_IDS).execute(Tuple.of(ids.toArray(Long[]::new)))).map(rows -> {
      List<Job> jobs = new ArrayList<>(rows.size());
      rows.forEach(row -> jobs.add(Job.from(row)));
      return jobs;
    });
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
    return bounded(db.preparedQuery(CLAIM).execute(values)).map(JobStore::claimed);
  }

  /** The claimed jobs among {@code rows} (rows without an id are not jobs), in the order the claim chose them. */
  static List<JobRequests.Claimed> claimed(RowSet<Row> rows) {
    // UPDATE ... RETURNING comes in no particular order; run the jobs in the order the claim chose them.
    List<Row> ordered = new ArrayList<>(rows.size());
    rows.forEach(row -> {
      if (row.getLong("id") != null) {
        ordered.add(row);
      }
    });
    ordered.sort(Comparator.<Row>comparingInt(row -> -row.getInteger("priority"))
        .thenComparing(row -> row.getOffsetDateTime("run_at"))
        .thenComparingLong(row -> row.getLong("id")));
    return ordered.stream().map(row -> new JobRequests.Claimed(row.getLong("id"),
        row.getString("kind"), (JsonObject) row.getJson("input"), row.getInteger("attempts"),
        row.getInteger("max_attempts"), row.getInteger("timeout_ms"), row.getInteger("snoozes"))).toList();
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
    Boolean[] snoozed = new Boolean[n];
    Integer[] percents = new Integer[n];
    String[] messages = new String[n];
    for (int i = 0; i < n; i++) {
      Outcome o = outcomes.get(i);
      ids[i] = o.id();
      attempts[i] = o.attempt();
      statuses[i] = o.status();
      results[i] = o.result() == null ? null : o.result().encode();
      errors[i] = o.error();
      delays[i] = o.delayMs();
      released[i] = o.released();
      snoozed[i] = o.snoozed();
      percents[i] = o.progress();
      messages[i] = o.progressMessage();
    }
    Tuple values = Tuple.of(ids, attempts, statuses, results, errors, delays, released, owner).addValue(snoozed)
        .addValue(percents).addValue(messages);
    return bounded(db.preparedQuery(FINISH).execute(values)).map(JobStore::ids);
  }

  /**
   * Renews the leases {@code owner} still holds, writing the progress {@code reported} for them on the way; says
   * which were renewed, and which of them someone asked to cancel.
   */
  public Future<JobRequests.Renewed> heartbeat(String owner, List<JobRequests.Lease> leases,
      Map<JobRequests.Lease, JobRequests.Reported> reported, long leaseMs) {
    Integer[] percents = new Integer[leases.size()];
    String[] messages = new String[leases.size()];
    for (int i = 0; i < leases.size(); i++) {
      JobRequests.Reported report = reported.get(leases.get(i));
      if (report != null) {
        percents[i] = report.percent();
        messages[i] = report.message();
      }
    }
    Tuple values = Tuple.of(owner,
        leases.stream().map(JobRequests.Lease::id).toArray(Long[]::new),
        leases.stream().map(JobRequests.Lease::attempt).toArray(Integer[]::new),
        leaseMs, percents, messages);
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

  /**
   * Deletes up to {@code batch} jobs finished longer than {@code retentionMs} ago; how many it took. Their files
   * go first ({@code deleteFiles} gets the names results recorded that no kept job names, each with when the newest
   * job naming it finished; see clean_candidates.sql), so a crash between the two never leaves a file that no job
   * names.
   */
  public Future<Integer> clean(long retentionMs, int batch, Function<Map<String, Instant>, Future<?>> deleteFiles) {
    return bounded(db.preparedQuery(CLEAN_CANDIDATES).execute(Tuple.of(retentionMs, batch))).compose(rows -> {
      if (rows.size() == 0) {
        return Future.succeededFuture(0);
      }
      List<Long> ids = new ArrayList<>(rows.size());
      Map<String, Instant> files = new LinkedHashMap<>();
      for (Row row : rows) {
        ids.add(row.getLong("id"));
        String file = row.getString("file");
        if (file != null) {
          files.merge(file, row.getOffsetDateTime("finished_at").toInstant(), (a, b) -> a.isAfter(b) ? a : b);
        }
      }
      Future<?> filesGone = files.isEmpty() ? Future.succeededFuture() : deleteFiles.apply(Map.copyOf(files));
      return filesGone
          .compose(gone -> bounded(db.preparedQuery(CLEAN).execute(Tuple.of(ids.toArray(Long[]::new)))))
          // Then ANALYZE (see analyze.sql), once the last batch is deleted.
          .compose(deleted -> ids.size() == batch
              ? Future.succeededFuture(ids.size()) // more batches follow; analyze after
              : bounded(db.query(ANALYZE).execute()).map(ids.size()));
    });
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
