package dev.gather.users;

import dev.gather.db.DbFailure;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Cursor;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Transaction;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Export cursors over every user, on the event loop of the HTTP verticle that serves the export. A batch is read
 * only when the HTTP side asks for it, which it does once the previous one has left the socket's write queue:
 * that is how a slow client slows the cursor instead of filling the heap. Rows are written straight into the
 * batch's NDJSON text, with no JSON object per row. A cursor nobody asks for within the idle timeout (its client
 * stuck without closing) is closed by a sweep.
 */
public final class UserExports {
  static final int BATCH_ROWS = 1000;

  /** The export meters, one set for the process, whichever event loop an export runs on. */
  public static final class Meters {
    private final Counter rowsRead;
    private final AtomicInteger open = new AtomicInteger();

    public Meters(MeterRegistry registry) {
      this.rowsRead = Counter.builder("gather.users.export.rows")
          .description("Rows read from export cursors")
          .register(registry);
      Gauge.builder("gather.users.export.open", open, AtomicInteger::get)
          .description("Export cursors open")
          .register(registry);
    }
  }

  /** One open export: its connection, the transaction its cursor lives in, and the cursor. */
  public final class Export {
    private final SqlConnection connection;
    private final Transaction tx;
    private final Cursor cursor;
    private long lastUsedNanos = System.nanoTime();
    private boolean done;

    private Export(SqlConnection connection, Transaction tx, Cursor cursor) {
      this.connection = connection;
      this.tx = tx;
      this.cursor = cursor;
    }

    /** The next batch as NDJSON lines; after the last one {@link #done()} is true and the cursor is closed. */
    public Future<Buffer> next() {
      lastUsedNanos = System.nanoTime();
      return cursor.read(BATCH_ROWS)
          .timeout(queryTimeoutMs, TimeUnit.MILLISECONDS)
          .recover(DbFailure::failed)
          .map(rows -> {
            StringBuilder ndjson = new StringBuilder(rows.size() * 160);
            for (Row row : rows) {
              User.appendJsonLine(row, ndjson);
            }
            meters.rowsRead.increment(rows.size());
            done = !cursor.hasMore();
            return Buffer.buffer(ndjson.toString());
          })
          .andThen(read -> {
            if (read.failed() || done) {
              close();
            }
          });
    }

    public boolean done() {
      return done;
    }

    /** Closes the cursor and gives the connection back; safe to call more than once. */
    public Future<Void> close() {
      if (!open.remove(this)) {
        return Future.succeededFuture();
      }
      meters.open.decrementAndGet();
      return cursor.close()
          .transform(ignored -> tx.rollback())
          .transform(ignored -> connection.close());
    }
  }

  private final Vertx vertx;
  private final Pool pool;
  private final long idleTimeoutMs;
  private final long queryTimeoutMs;
  private final Meters meters;
  private final Set<Export> open = new HashSet<>();
  private long sweepTimer = -1;

  public UserExports(Vertx vertx, Pool pool, long idleTimeoutMs, long queryTimeoutMs, Meters meters) {
    this.vertx = vertx;
    this.pool = pool;
    this.idleTimeoutMs = idleTimeoutMs;
    this.queryTimeoutMs = queryTimeoutMs;
    this.meters = meters;
  }

  /** A cursor over every user in id order; PostgreSQL keeps cursors only inside a transaction, so it gets one. */
  public Future<Export> open() {
    return pool.getConnection()
        .compose(connection -> connection.begin()
            .compose(tx -> connection.prepare(UserRepository.SELECT_ALL_IN_ORDER)
                .map(statement -> {
                  Export export = new Export(connection, tx, statement.cursor());
                  open.add(export);
                  meters.open.incrementAndGet();
                  startSweeping();
                  return export;
                }))
            .onFailure(e -> connection.close()))
        .timeout(queryTimeoutMs, TimeUnit.MILLISECONDS)
        .recover(DbFailure::failed);
  }

  /** Closes every export still open, for a verticle that stops. */
  public Future<Void> closeAll() {
    return Future.join(List.copyOf(open).stream().map(Export::close).toList()).mapEmpty();
  }

  private void startSweeping() {
    if (sweepTimer < 0) {
      sweepTimer = vertx.setPeriodic(Math.max(1000, idleTimeoutMs / 2), t -> sweep());
    }
  }

  private void sweep() {
    long cutoff = System.nanoTime() - TimeUnit.MILLISECONDS.toNanos(idleTimeoutMs);
    new ArrayList<>(open).stream().filter(export -> export.lastUsedNanos - cutoff < 0).forEach(Export::close);
    if (open.isEmpty()) {
      vertx.cancelTimer(sweepTimer);
      sweepTimer = -1;
    }
  }
}
