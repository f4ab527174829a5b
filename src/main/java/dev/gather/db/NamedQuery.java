package dev.gather.db;

import io.vertx.core.json.JsonArray;
import java.util.List;

/**
 * A request to run one of the {@code queries} declared in config with these parameter values ($1, $2...), as
 * an aggregate's SQL source does. The answer is {@link Rows}: one JSON object per row, keyed by column name.
 */
public record NamedQuery(String name, List<Object> params) {
  public static final String ADDRESS = "db.query";

  /** The rows a query returned, in order. */
  public record Rows(JsonArray rows) {}
}
