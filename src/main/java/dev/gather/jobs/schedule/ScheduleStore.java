package dev.gather.jobs.schedule;

import dev.gather.db.DbFailure;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The {@code job_schedules} table and the jobs schedules enqueue; every call bounded by the store's timeout. */
public final class ScheduleStore {
  /** The most API schedules the table takes: a client cannot make the scheduler's work grow without bound. */
  public static final int MAX_API_SCHEDULES = 1000;
  /** Rows read at most: every API schedule and room for the config schedules' state rows. */
  static final int MAX_ROWS = 2 * MAX_API_SCHEDULES;

  static final String FIRE = ScheduleSql.load("fire");
  static final String REGISTER_CONFIG = ScheduleSql.load("register_config");
  static final String SELECT_ALL = ScheduleSql.load("select_all");
  static final String SELECT_ONE = ScheduleSql.load("select_one");
  static final String INSERT = ScheduleSql.load("insert");
  static final String UPSERT = ScheduleSql.load("upsert");
  static final String DELETE = ScheduleSql.load("delete");

  /** Reads the statements on the caller's thread (a read from the jar), before any event loop needs them. */
  public static void loadStatements() {
    // Nothing to do: calling a static method initialises the class, which reads every statement above.
  }

  private final SqlClient db;
  private final long timeoutMs;

  public ScheduleStore(SqlClient db, long timeoutMs) {
    this.db = db;
    this.timeoutMs = timeoutMs;
  }

  Future<List<StoredSchedule>> all() {
    return bounded(db.preparedQuery(SELECT_ALL).execute(Tuple.of(MAX_ROWS))).map(ScheduleStore::schedules);
  }

  Future<Optional<StoredSchedule>> one(String name) {
    return bounded(db.preparedQuery(SELECT_ONE).execute(Tuple.of(name)))
        .map(rows -> schedules(rows).stream().findFirst());
  }

  /** Empty when the name is taken or the bound is reached. */
  Future<Optional<StoredSchedule>> insert(String name, JsonObject definition) {
    return bounded(db.preparedQuery(INSERT).execute(Tuple.of(name, definition, MAX_API_SCHEDULES)))
        .map(rows -> schedules(rows).stream().findFirst());
  }

  /** The row and whether it was created; empty when the name is a config schedule's, or the bound is reached. */
  Future<Optional<Upserted>> upsert(String name, JsonObject definition) {
    return bounded(db.preparedQuery(UPSERT).execute(Tuple.of(name, definition, MAX_API_SCHEDULES)))
        .map(rows -> {
          if (rows.size() == 0) {
            return Optional.empty();
          }
          Row row = rows.iterator().next();
          return Optional.of(new Upserted(StoredSchedule.from(row), row.getBoolean("created")));
        });
  }

  record Upserted(StoredSchedule schedule, boolean created) {}

  /** Whether an API schedule of that name was deleted. */
  Future<Boolean> delete(String name) {
    return bounded(db.preparedQuery(DELETE).execute(Tuple.of(name))).map(rows -> rows.size() > 0);
  }

  /** Makes sure each config schedule has its state row; the names taken over from API schedules. */
  Future<List<String>> registerConfig(List<String> names) {
    return bounded(db.preparedQuery(REGISTER_CONFIG).execute(Tuple.of(names.toArray(String[]::new))))
        .map(rows -> {
          List<String> taken = new ArrayList<>();
          rows.forEach(row -> taken.add(row.getString("name")));
          return taken;
        });
  }

  /** Enqueues {@code job} for those of {@code ticks} that no replica has taken care of yet; the ticks enqueued. */
  Future<List<Instant>> fire(String schedule, List<Instant> ticks, ResolvedJob job) {
    OffsetDateTime[] at = ticks.stream().map(t -> t.atOffset(ZoneOffset.UTC)).toArray(OffsetDateTime[]::new);
    Tuple values = Tuple.of(schedule, at, job.kind(), job.input(), (short) job.priority(), job.maxAttempts(),
        (int) job.timeoutMs());
    return bounded(db.preparedQuery(FIRE).execute(values)).compose(rows -> {
      List<Instant> made = new ArrayList<>(rows.size());
      rows.forEach(row -> made.add(row.getOffsetDateTime("schedule_tick").toInstant()));
      return Future.succeededFuture(made);
    });
  }

  /** A schedule's job with the queue's defaults filled in. */
  record ResolvedJob(String kind, JsonObject input, int priority, int maxAttempts, long timeoutMs) {}

  private <T> Future<T> bounded(Future<T> query) {
    return DbFailure.bounded(query, timeoutMs);
  }

  private static List<StoredSchedule> schedules(RowSet<Row> rows) {
    List<StoredSchedule> schedules = new ArrayList<>(rows.size());
    rows.forEach(row -> schedules.add(StoredSchedule.from(row)));
    return schedules;
  }
}
