package dev.gather.users;

import dev.gather.db.DbFailure;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The users table. Runs inside the database verticle; every statement is prepared (and cached per connection). */
public final class UserRepository {
  static final String COLUMNS = "id, email, name, created_at, updated_at";
  static final String SELECT_BY_ID = "SELECT " + COLUMNS + " FROM users WHERE id = $1";
  static final String SELECT_PAGE = "SELECT " + COLUMNS + " FROM users WHERE id > $1 ORDER BY id LIMIT $2";
  static final String INSERT = "INSERT INTO users (email, name) VALUES ($1, $2) RETURNING " + COLUMNS;
  static final String UPDATE =
      "UPDATE users SET email = $2, name = $3, updated_at = now() WHERE id = $1 RETURNING " + COLUMNS;
  static final String DELETE = "DELETE FROM users WHERE id = $1";
  static final String SELECT_ALL_IN_ORDER = "SELECT " + COLUMNS + " FROM users ORDER BY id";

  private final Pool pool;

  public UserRepository(Pool pool) {
    this.pool = pool;
  }

  public Future<User> get(UserRequests.Get request) {
    return pool.preparedQuery(SELECT_BY_ID).execute(Tuple.of(request.id()))
        .compose(rows -> single(rows, request.id()));
  }

  public Future<UserRequests.Page> list(UserRequests.ListPage request) {
    // One row more than asked tells whether another page exists without a COUNT.
    return pool.preparedQuery(SELECT_PAGE).execute(Tuple.of(request.after(), request.limit() + 1))
        .map(rows -> {
          List<User> users = new ArrayList<>(request.limit());
          for (Row row : rows) {
            if (users.size() == request.limit()) {
              break;
            }
            users.add(User.from(row));
          }
          Optional<Long> next = rows.size() > request.limit()
              ? Optional.of(users.get(users.size() - 1).id())
              : Optional.empty();
          return new UserRequests.Page(users, next);
        });
  }

  public Future<User> create(UserRequests.Create request) {
    UserInput in = request.input();
    return pool.preparedQuery(INSERT).execute(Tuple.of(in.email(), in.name()))
        .recover(e -> Future.failedFuture(duplicateEmail(e, in.email())))
        .map(rows -> User.from(rows.iterator().next()));
  }

  public Future<User> update(UserRequests.Update request) {
    UserInput in = request.input();
    return pool.preparedQuery(UPDATE).execute(Tuple.of(request.id(), in.email(), in.name()))
        .recover(e -> Future.failedFuture(duplicateEmail(e, in.email())))
        .compose(rows -> single(rows, request.id()));
  }

  public Future<Void> delete(UserRequests.Delete request) {
    return pool.preparedQuery(DELETE).execute(Tuple.of(request.id()))
        .compose(rows -> rows.rowCount() == 0 ? Future.failedFuture(missing(request.id())) : Future.succeededFuture());
  }

  private static Future<User> single(RowSet<Row> rows, long id) {
    return rows.size() == 0 ? Future.failedFuture(missing(id)) : Future.succeededFuture(User.from(rows.iterator().next()));
  }

  private static Throwable missing(long id) {
    return DbFailure.notFound("no user with id " + id);
  }

  private static Throwable duplicateEmail(Throwable failure, String email) {
    var classified = DbFailure.classify(failure);
    return classified.failureCode() == DbFailure.CONFLICT
        ? DbFailure.conflict("a user with e-mail " + email + " already exists")
        : classified;
  }
}
