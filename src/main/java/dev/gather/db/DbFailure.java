package dev.gather.db;

import dev.gather.failure.Failure;
import dev.gather.failure.FailureKind;
import io.vertx.core.Future;
import io.vertx.pgclient.PgException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells a failed database call in gather's failure vocabulary, with a detail safe to show a client: never SQL,
 * never a stack trace. Only the edge turns the kind into an HTTP status.
 */
public final class DbFailure {
  private static final Logger LOG = LoggerFactory.getLogger(DbFailure.class);
  private static final String UNIQUE_VIOLATION = "23505";
  private static final String QUERY_CANCELED = "57014";
  private static final String CONNECTION_CLASS = "08";
  private static final String ADMIN_SHUTDOWN_CLASS = "57P";

  private DbFailure() {}

  /** A driver failure as a {@link Failure}; a {@link Failure} already (a store's own verdict) stays as it is. */
  public static Failure classify(Throwable failure) {
    if (failure instanceof Failure known) {
      return known;
    }
    if (failure instanceof PgException pg) {
      String state = pg.getSqlState() == null ? "" : pg.getSqlState();
      if (state.equals(UNIQUE_VIOLATION)) {
        return new Failure(FailureKind.CONFLICT, "a row with the same unique value already exists");
      }
      if (state.equals(QUERY_CANCELED)) {
        return timeout();
      }
      if (state.startsWith(CONNECTION_CLASS) || state.startsWith(ADMIN_SHUTDOWN_CLASS)) {
        return unavailable();
      }
      // The server's message may quote SQL or values: it goes to the log, the client gets the SQLSTATE.
      LOG.warn("database rejected a query: SQLSTATE {}: {}", state, pg.getMessage());
      return new Failure(FailureKind.QUERY_FAILED, "the database rejected the query (SQLSTATE " + state + ")");
    }
    if (failure instanceof TimeoutException) {
      return timeout();
    }
    // Anything else is the connection itself: refused, closed, the pool's wait queue full.
    return unavailable();
  }

  /** {@link #classify} for {@code Future.recover}. */
  public static <T> Future<T> failed(Throwable failure) {
    return Future.failedFuture(classify(failure));
  }

  /**
   * A query's answer, waited for no longer than {@code timeoutMs} (PostgreSQL's statement_timeout ends the query;
   * this ends the wait when the network is what hangs), its failure classified.
   */
  public static <T> Future<T> bounded(Future<T> query, long timeoutMs) {
    return query.timeout(timeoutMs, TimeUnit.MILLISECONDS).recover(DbFailure::failed);
  }

  private static Failure timeout() {
    return new Failure(FailureKind.TIMEOUT, "the database query took longer than db.queryTimeoutMs");
  }

  private static Failure unavailable() {
    return new Failure(FailureKind.UNAVAILABLE, "the database is unavailable");
  }

  static String rootMessage(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
  }
}
