package dev.gather.fanout;

import dev.gather.upstream.CallStats;
import io.vertx.core.json.JsonObject;

/** What one source of an aggregate ended with: its data, or the kind and detail of its failure. */
public record SourceResult(
    String name, boolean ok, Object data, Integer status, long ms, CallStats stats, String errorKind, String detail) {

  /**
   * Failure kinds of sources, beyond those of a single upstream call ({@link dev.gather.upstream.CallFailure}),
   * as clients see them in {@code errors.<source>.kind}.
   */
  public static final String DEPENDENCY = "dependency_failed";
  public static final String MISSING_PARAMETER = "missing_parameter";
  public static final String BAD_PARAMETER = "bad_parameter";
  public static final String UNAVAILABLE = "unavailable";
  public static final String QUERY_FAILED = "query_failed";

  static SourceResult success(String name, Object data, Integer status, long ms, CallStats stats) {
    return new SourceResult(name, true, data, status, ms, stats, null, null);
  }

  static SourceResult failure(String name, String kind, Integer status, String detail, long ms, CallStats stats) {
    return new SourceResult(name, false, null, status, ms, stats, kind, detail);
  }

  JsonObject error() {
    return new JsonObject().put("kind", errorKind).put("status", status).put("detail", detail)
        .put("attempts", stats.attempts());
  }

  /** {@code cached} is always false: gather keeps no answers; {@code coalesced} says one was shared. */
  JsonObject timing() {
    return new JsonObject().put("status", status).put("ms", ms).put("attempts", stats.attempts())
        .put("hedged", stats.hedged()).put("coalesced", stats.coalesced())
        .put("shortCircuited", stats.shortCircuited()).put("cached", false);
  }
}
