package dev.gather.users;

import io.vertx.core.buffer.Buffer;
import java.util.List;
import java.util.Optional;

/**
 * The messages the HTTP verticles send to the database verticle, and its replies. All records, so they
 * travel by reference through {@link dev.gather.db.LocalCodec}.
 */
public final class UserRequests {
  public static final String GET = "db.users.get";
  public static final String LIST = "db.users.list";
  public static final String CREATE = "db.users.create";
  public static final String UPDATE = "db.users.update";
  public static final String DELETE = "db.users.delete";
  public static final String EXPORT_OPEN = "db.users.export.open";
  public static final String EXPORT_NEXT = "db.users.export.next";
  public static final String EXPORT_CLOSE = "db.users.export.close";

  private UserRequests() {}

  public record Get(long id) {}

  public record ListPage(long after, int limit) {}

  /** One page in id order; {@code next} is the id to pass as {@code after} for the following page. */
  public record Page(List<User> users, Optional<Long> next) {
    public Page {
      users = List.copyOf(users);
    }
  }

  public record Create(UserInput input) {}

  public record Update(long id, UserInput input) {}

  public record Delete(long id) {}

  public record ExportId(String id) {}

  /** Rows already encoded as NDJSON lines; {@code last} when the cursor is exhausted and closed. */
  public record ExportBatch(Buffer ndjson, int rows, boolean last) {}
}
