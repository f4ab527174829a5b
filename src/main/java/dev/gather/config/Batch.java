package dev.gather.config;

import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Set;

/**
 * A forEach source's {@code batch}: instead of one call per item, one call per {@code max} items to the
 * source's path (the upstream's batch endpoint) with the items' values joined by commas into the query
 * parameter {@code param}; the answer's objects go back to their items by their {@code key} field.
 */
public record Batch(String param, int max, String key) {
  static final Set<String> KEYS = Set.of("param", "max", "key");
  public static final int DEFAULT_MAX = 100;
  /** Beyond this the query string of one call grows past what servers commonly accept (8 KB lines). */
  static final int MOST = 1000;

  static Batch parse(Fields in, JsonObject json, List<String> problems) {
    Fields batch = in.nested("batch", json);
    batch.rejectUnknown(KEYS);
    String param = batch.requiredText("param", "ids");
    int max = batch.integer("max", DEFAULT_MAX, 1, MOST);
    String key = batch.text("key").orElse("id");
    return new Batch(param, max, key);
  }
}
