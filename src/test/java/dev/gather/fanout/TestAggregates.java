package dev.gather.fanout;

import io.vertx.core.json.JsonObject;

/** Config pieces the aggregate tests build theirs from: a source of the test upstream, an aggregate of sources. */
final class TestAggregates {
  private TestAggregates() {}

  /** A source calling {@code path} on the upstream named {@code test}. */
  static JsonObject source(String path) {
    return new JsonObject().put("upstream", "test").put("path", path);
  }

  /** An aggregate at {@code path} with a 3 s deadline. */
  static JsonObject aggregate(String path, JsonObject sources) {
    return new JsonObject().put("path", path).put("deadlineMs", 3000).put("sources", sources);
  }
}
