package dev.gather.db;

import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.pgclient.PgException;

/**
 * How the database verticle reports a failed query over the event bus: the failure code is the HTTP status
 * the API should answer with, the message a detail safe to show a client (never SQL, never a stack trace).
 */
public final class DbFailure {
  public static final int BAD_REQUEST = 400;
  public static final int NOT_FOUND = 404;
  public static final int CONFLICT = 409;
  public static final int UNAVAILABLE = 503;
  public static final int TIMEOUT = 504;
  public static final int INTERNAL = 500;

  private static final String UNIQUE_VIOLATION = "23505";
  private static final String QUERY_CANCELED = "57014";
  private static final String CONNECTION_CLASS = "08";
  private static final String ADMIN_SHUTDOWN_CLASS = "57P";

  private DbFailure() {}

  public static ReplyException badRequest(String detail) {
    return new ReplyException(ReplyFailure.RECIPIENT_FAILURE, BAD_REQUEST, detail);
  }

  public static ReplyException notFound(String detail) {
    return new ReplyException(ReplyFailure.RECIPIENT_FAILURE, NOT_FOUND, detail);
  }

  public static ReplyException conflict(String detail) {
    return new ReplyException(ReplyFailure.RECIPIENT_FAILURE, CONFLICT, detail);
  }

  /** Maps a driver failure to a status and a client-safe detail. */
  public static ReplyException classify(Throwable failure) {
    if (failure instanceof ReplyException reply) {
      return reply;
    }
    if (failure instanceof PgException pg) {
      String state = pg.getSqlState() == null ? "" : pg.getSqlState();
      if (state.equals(UNIQUE_VIOLATION)) {
        return conflict("a row with the same unique value already exists");
      }
      if (state.equals(QUERY_CANCELED)) {
        return failure(TIMEOUT, "the database query took longer than db.queryTimeoutMs");
      }
      if (state.startsWith(CONNECTION_CLASS) || state.startsWith(ADMIN_SHUTDOWN_CLASS)) {
        return failure(UNAVAILABLE, "the database is unavailable");
      }
      return failure(INTERNAL, "the database rejected the query (SQLSTATE " + state + ")");
    }
    // Anything that is not a PostgreSQL error is the connection itself: refused, closed, pool queue full.
    return failure(UNAVAILABLE, "the database is unavailable");
  }

  private static ReplyException failure(int code, String detail) {
    return new ReplyException(ReplyFailure.RECIPIENT_FAILURE, code, detail);
  }
}
