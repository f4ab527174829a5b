package dev.gather.fanout;

import dev.gather.config.AggregateConfig;
import dev.gather.config.SourceConfig;
import dev.gather.upstream.CallFailure;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The answer to an aggregate request, always the same shape: {@code data} and {@code errors} keyed by source,
 * {@code sources} with each one's status and timing, and {@code complete}. The HTTP status is 200 when every
 * required source succeeded; otherwise see {@link #status}.
 */
final class Envelope {
  private Envelope() {}

  /** Sends the answer; returns its status. */
  static int send(RoutingContext ctx, AggregateConfig aggregate, Map<String, SourceResult> results) {
    JsonObject data = new JsonObject();
    JsonObject errors = new JsonObject();
    JsonObject sources = new JsonObject();
    for (SourceConfig source : aggregate.sources()) {
      SourceResult result = results.get(source.name());
      if (result.ok()) {
        data.put(source.name(), result.data());
      } else {
        errors.put(source.name(), result.error());
      }
      sources.put(source.name(), result.timing());
    }
    boolean complete = errors.isEmpty();
    int status = status(aggregate, results);
    if (status == 503) {
      ctx.response().putHeader("Retry-After", "1");
    }
    ctx.response()
        .setStatusCode(status)
        .putHeader("Content-Type", "application/json")
        .putHeader("X-Gather-Complete", String.valueOf(complete))
        .putHeader("Server-Timing", aggregate.sources().stream()
            .map(s -> s.name() + ";dur=" + results.get(s.name()).ms())
            .collect(Collectors.joining(", ")))
        .end(new JsonObject()
            .put("data", data)
            .put("errors", errors)
            .put("sources", sources)
            .put("complete", complete)
            .toBuffer());
    return status;
  }

  /**
   * The worst of the required sources' failures decides: the client's own mistake (400) first, then a timeout
   * (504), then "try again later" (503: shed, circuit open, database unavailable), and any other failure is a bad gateway.
   */
  static int status(AggregateConfig aggregate, Map<String, SourceResult> results) {
    var failedKinds = aggregate.sources().stream()
        .filter(SourceConfig::required)
        .map(s -> results.get(s.name()))
        .filter(r -> !r.ok())
        .map(SourceResult::errorKind)
        .collect(Collectors.toSet());
    if (failedKinds.isEmpty()) {
      return 200;
    }
    if (failedKinds.contains(SourceResult.MISSING_PARAMETER) || failedKinds.contains(SourceResult.BAD_PARAMETER)) {
      return 400;
    }
    if (failedKinds.contains(CallFailure.TIMEOUT)) {
      return 504;
    }
    if (failedKinds.contains(CallFailure.SHED) || failedKinds.contains(CallFailure.CIRCUIT_OPEN)
        || failedKinds.contains(SourceResult.UNAVAILABLE)) {
      return 503;
    }
    return 502;
  }
}
