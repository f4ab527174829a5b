package dev.gather.jobs.queue;

import dev.gather.db.DbFailure;
import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The per-kind state every gather on the database shares: whether a kind is paused (table job_kinds), and how many
 * of its jobs are in each status. Limits are not stored: each gather claims by its own jobs.kinds (see
 * {@link LimitedClaims}).
 */
public final class KindStore {
  private final SqlClient db;
  private final long timeoutMs;

  public KindStore(SqlClient db, long timeoutMs) {
    this.db = db;
    this.timeoutMs = timeoutMs;
  }

  /** A kind as the database knows it: jobs per status (absent: none), and since when it is paused, if it is. */
  public record KindState(String kind, Map<String, Long> counts, Optional<OffsetDateTime> pausedAt) {
    public KindState {
      counts = Map.copyOf(counts);
    }

    static KindState empty(String kind) {
      return new KindState(kind, Map.of(), Optional.empty());
    }
  }

  /** Every kind that has jobs or is paused, by name. */
  public Future<Map<String, KindState>> all() {
    return DbFailure.bounded(db.query(JobStore.KINDS).execute(), timeoutMs).map(KindStore::states);
  }

  public Future<KindState> one(String kind) {
    return DbFailure.bounded(db.preparedQuery(JobStore.KIND).execute(Tuple.of(kind)), timeoutMs)
        .map(rows -> states(rows).getOrDefault(kind, KindState.empty(kind)));
  }

  public Future<Void> pause(String kind) {
    return DbFailure.bounded(db.preparedQuery(JobStore.PAUSE).execute(Tuple.of(kind)), timeoutMs).mapEmpty();
  }

  public Future<Void> resume(String kind) {
    return DbFailure.bounded(db.preparedQuery(JobStore.RESUME).execute(Tuple.of(kind)), timeoutMs).mapEmpty();
  }

  private static Map<String, KindState> states(RowSet<Row> rows) {
    Map<String, Map<String, Long>> counts = new HashMap<>();
    Map<String, OffsetDateTime> paused = new HashMap<>();
    for (Row row : rows) {
      String kind = row.getString("kind");
      String status = row.getString("status");
      if (status == null) {
        paused.put(kind, row.getOffsetDateTime("paused_at"));
      } else {
        counts.computeIfAbsent(kind, k -> new HashMap<>()).put(status, row.getLong("jobs"));
      }
    }
    Map<String, KindState> states = new TreeMap<>();
    counts.forEach((kind, byStatus) -> states.put(kind, new KindState(kind, byStatus, Optional.ofNullable(paused.get(kind)))));
    paused.forEach((kind, at) -> states.putIfAbsent(kind, new KindState(kind, Map.of(), Optional.ofNullable(at))));
    return states;
  }
}
