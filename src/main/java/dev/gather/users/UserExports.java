package dev.gather.users;

import dev.gather.db.DbFailure;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Cursor;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Transaction;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Open export cursors, read one batch at a time and only when the HTTP side asks for the next one: that is how
 * a slow client slows the cursor instead of filling the heap. A cursor nobody asks for within the idle timeout
 * (its client vanished without a close) is closed by a sweep. Runs on the database verticle's event loop only.
 */
public final class UserExports {
  static final int BATCH_ROWS = 500;

  private static final class Session {
    final SqlConnection connection;
    final Transaction tx;
    final Cursor cursor;
    long lastUsedMs;

    Session(SqlConnection connection, Transaction tx, Cursor cursor) {
      this.connection = connection;
      this.tx = tx;
      this.cursor = cursor;
      this.lastUsedMs = now();
    }
  }

  private final Vertx vertx;
  private final Pool pool;
  private final long idleTimeoutMs;
  private final Counter rowsRead;
  private final Map<String, Session> sessions = new HashMap<>();
  private long sweepTimer = -1;

  public UserExports(Vertx vertx, Pool pool, long idleTimeoutMs, MeterRegistry registry) {
    this.vertx = vertx;
    this.pool = pool;
    this.idleTimeoutMs = idleTimeoutMs;
    this.rowsRead = Counter.builder("gather.users.export.rows")
        .description("Rows read from export cursors")
        .register(registry);
    registry.gauge("gather.users.export.open", sessions, Map::size);
  }

  public Future<UserRequests.ExportId> open() {
    return pool.getConnection().compose(connection -> connection.begin()
        .compose(tx -> connection.prepare(UserRepository.SELECT_ALL_IN_ORDER)
            .map(statement -> {
              String id = UUID.randomUUID().toString();
              sessions.put(id, new Session(connection, tx, statement.cursor()));
              startSweeping();
              return new UserRequests.ExportId(id);
            }))
        .onFailure(e -> connection.close()));
  }

  public Future<UserRequests.ExportBatch> next(UserRequests.ExportId id) {
    Session session = sessions.get(id.id());
    if (session == null) {
      return Future.failedFuture(DbFailure.notFound("export " + id.id() + " is closed or timed out"));
    }
    session.lastUsedMs = now();
    return session.cursor.read(BATCH_ROWS)
        .map(rows -> {
          Buffer ndjson = Buffer.buffer(rows.size() * 128);
          for (Row row : rows) {
            ndjson.appendBuffer(User.from(row).toJson().toBuffer()).appendByte((byte) '\n');
          }
          rowsRead.increment(rows.size());
          return new UserRequests.ExportBatch(ndjson, rows.size(), !session.cursor.hasMore());
        })
        .andThen(done -> {
          if (done.failed() || done.result().last()) {
            close(id);
          }
        });
  }

  public Future<Void> close(UserRequests.ExportId id) {
    Session session = sessions.remove(id.id());
    if (session == null) {
      return Future.succeededFuture();
    }
    return session.cursor.close()
        .transform(ignored -> session.tx.rollback())
        .transform(ignored -> session.connection.close());
  }

  public Future<Void> closeAll() {
    return Future.join(List.copyOf(sessions.keySet()).stream()
            .map(id -> close(new UserRequests.ExportId(id)))
            .toList())
        .mapEmpty();
  }

  private void startSweeping() {
    if (sweepTimer < 0) {
      sweepTimer = vertx.setPeriodic(Math.max(1000, idleTimeoutMs / 2), t -> sweep());
    }
  }

  private void sweep() {
    long cutoff = now() - idleTimeoutMs;
    sessions.entrySet().stream()
        .filter(entry -> entry.getValue().lastUsedMs < cutoff)
        .map(Map.Entry::getKey)
        .toList()
        .forEach(id -> close(new UserRequests.ExportId(id)));
    if (sessions.isEmpty()) {
      vertx.cancelTimer(sweepTimer);
      sweepTimer = -1;
    }
  }

  private static long now() {
    return System.nanoTime() / 1_000_000;
  }
}
