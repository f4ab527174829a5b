package dev.gather.db;

import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.ToLongFunction;

/** One page of a keyset-paged list; {@code next} is the key to continue from, when there is more. */
public record Page<T>(List<T> items, Optional<Long> next) {
  public Page {
    items = List.copyOf(items);
  }

  /** What to pass as the query's LIMIT: one row more than asked tells whether another page exists, without a COUNT. */
  public static int limitFor(int limit) {
    return limit + 1;
  }

  /** The page of {@code rows}, read with {@link #limitFor}; {@code key} gives the keyset column of an item. */
  public static <T> Page<T> of(RowSet<Row> rows, int limit, Function<Row, T> item, ToLongFunction<T> key) {
    List<T> items = new ArrayList<>(Math.min(limit, rows.size()));
    for (Row row : rows) {
      if (items.size() == limit) {
        break;
      }
      items.add(item.apply(row));
    }
    Optional<Long> next = rows.size() > limit ? Optional.of(key.applyAsLong(items.get(items.size() - 1))) : Optional.empty();
    return new Page<>(items, next);
  }
}
