package dev.gather.jobs.queue;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.util.List;
import java.util.Optional;

/**
 * Group commit for enqueues. Every INSERT that commits on its own waits for its own WAL flush, which caps a
 * durable queue at the disk's flush rate. So the enqueues that arrive while one batch is in flight go together in
 * the next ({@link GroupCommit}): one round trip and one commit (a pipelined batch is one implicit transaction)
 * for all of them. An idle queue still inserts a lone job at once.
 */
final class Enqueuer {
  /** As large as POST /jobs/batch, so that a batch request normally commits in one go. */
  private static final int MAX_BATCH = JobStore.MAX_ENQUEUE_BATCH;

  private final SqlClient db;
  private final String insert;
  private final GroupCommit<Pending> inserts = new GroupCommit<>(MAX_BATCH, this::insertAll);

  private record Pending(Tuple values, Promise<Optional<Row>> inserted) {}

  /** {@code insert}: one row's INSERT ... RETURNING, which returns no row when the row was not inserted. */
  Enqueuer(SqlClient db, String insert) {
    this.db = db;
    this.insert = insert;
  }

  /** The inserted row, or empty when ON CONFLICT skipped it. */
  Future<Optional<Row>> insert(Tuple values) {
    Promise<Optional<Row>> inserted = Promise.promise();
    inserts.add(new Pending(values, inserted));
    return inserted.future();
  }

  /** PostgreSQL refused a statement (not the connection failing): the batch's transaction certainly rolled back. */
  private static boolean rolledBack(Throwable failure) {
    if (!(failure instanceof PgException pg) || pg.getSqlState() == null) {
      return false;
    }
    return !pg.getSqlState().startsWith("08") && !pg.getSqlState().startsWith("57P");
  }

  private Future<?> insertAll(List<Pending> batch) {
    return db.preparedQuery(insert).executeBatch(batch.stream().map(Pending::values).toList()).andThen(done -> {
      if (done.succeeded()) {
        RowSet<Row> rows = done.result();
        for (Pending one : batch) {
          one.inserted().complete(rows.size() > 0 ? Optional.of(rows.iterator().next()) : Optional.empty());
          rows = rows.next();
        }
      } else if (batch.size() == 1 || !rolledBack(done.cause())) {
        // A connection lost mid-commit may have committed: inserting again could queue jobs twice.
        batch.forEach(one -> one.inserted().fail(done.cause()));
      } else {
        // The whole batch rolled back; one bad row must not fail the others, so each goes again on its own.
        batch.forEach(one -> db.preparedQuery(insert).execute(one.values())
            .map(rows -> rows.size() > 0 ? Optional.of(rows.iterator().next()) : Optional.<Row>empty())
            .onComplete(one.inserted()));
      }
    });
  }
}
