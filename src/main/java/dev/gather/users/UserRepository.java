package dev.gather.users;

import dev.gather.db.DbFailure;
import dev.gather.db.Page;
import dev.gather.failure.Failure;
import dev.gather.failure.FailureKind;
import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.util.concurrent.TimeUnit;

/**
 * The users table, queried on the caller's event loop; every statement is prepared (and cached per connection).
 * Failures are {@link Failure}s: a missing user is {@link FailureKind#NOT_FOUND}, a taken e-mail
 * {@link FailureKind#CONFLICT}.
 */
public final class UserRepository {
  static final String COLUMNS = "id, email, name, created_at, updated_at";
  static final String SELECT_BY_ID = "SELECT " + COLUMNS + " FROM users WHERE id = $1";
  static final String SELECT_PAGE = "SELECT " + COLUMNS + " FROM users WHERE id > $1 ORDER BY id LIMIT $2";
  static final String INSERT = "INSERT INTO users (email, name) VALUES ($1, $2) RETURNING " + COLUMNS;
  static final String UPDATE =
      "UPDATE users SET email = $2, name = $3, updated_at = now() WHERE id = $1 RETURNING " + COLUMNS;
  static final String DELETE = "DELETE FROM users WHERE id = $1";
  static final String SELECT_ALL_IN_ORDER = "SELECT " + COLUMNS + " FROM users ORDER BY id";

  private final SqlClient db;
  private final long timeoutMs;

  /** {@code timeoutMs}: the longest any call waits for the database (db.queryTimeoutMs). */
  public UserRepository(SqlClient db, long timeoutMs) {
    this.db = db;
    this.timeoutMs = timeoutMs;
  }

  public Future<User> get(long id) {
    return bounded(db.preparedQuery(SELECT_BY_ID).execute(Tuple.of(id)))
        .compose(rows -> single(rows, id));
  }

  /** Users with an id above {@code after}, in id order. */
  public Future<Page<User>> list(long after, int limit) {
    return bounded(db.preparedQuery(SELECT_PAGE).execute(Tuple.of(after, Page.limitFor(limit))))
        .map(rows -> Page.of(rows, limit, User::from, User::id));
  }

  public Future<User> create(UserInput in) {
    return db.preparedQuery(INSERT).execute(Tuple.of(in.email(), in.name()))
        .timeout(timeoutMs, TimeUnit.MILLISECONDS)
        .recover(e -> Future.failedFuture(duplicateEmail(e, in.email())))
        .map(rows -> User.from(rows.iterator().next()));
  }

  public Future<User> update(long id, UserInput in) {
    return db.preparedQuery(UPDATE).execute(Tuple.of(id, in.email(), in.name()))
        .timeout(timeoutMs, TimeUnit.MILLISECONDS)
        .recover(e -> Future.failedFuture(duplicateEmail(e, in.email())))
        .compose(rows -> single(rows, id));
  }

  public Future<Void> delete(long id) {
    return bounded(db.preparedQuery(DELETE).execute(Tuple.of(id)))
        .compose(rows -> rows.rowCount() == 0 ? Future.failedFuture(missing(id)) : Future.succeededFuture());
  }

  private <T> Future<T> bounded(Future<T> query) {
    return DbFailure.bounded(query, timeoutMs);
  }

  private static Future<User> single(RowSet<Row> rows, long id) {
    return rows.size() == 0 ? Future.failedFuture(missing(id)) : Future.succeededFuture(User.from(rows.iterator().next()));
  }

  private static Failure missing(long id) {
    return new Failure(FailureKind.NOT_FOUND, "no user with id " + id);
  }

  private static Failure duplicateEmail(Throwable failure, String email) {
    Failure classified = DbFailure.classify(failure);
    return classified.kind() == FailureKind.CONFLICT
        ? new Failure(FailureKind.CONFLICT, "a user with e-mail " + email + " already exists")
        : classified;
  }
}
