package dev.gather.fanout;

import dev.gather.config.AggregateConfig;
import dev.gather.config.SourceConfig;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The answer to an aggregate request, always the same shape: {@code data} and {@code errors} keyed by source,
 * {@code sources} with each one's status and timing, and {@code complete}. The HTTP status is 200 when every
 * required source succeeded, 504 when a required one timed out, 503 when one was shed, 502 otherwise.
 */
final class Envelope {
  private Envelope() {}

  static void send(RoutingContext ctx, AggregateConfig aggregate, Map<String, SourceResult> results) {
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
  }

  private static int status(AggregateConfig aggregate, Map<String, SourceResult> results) {
    var failedRequired = aggregate.sources().stream()
        .filter(SourceConfig::required)
        .map(s -> results.get(s.name()))
        .filter(r -> !r.ok())
        .toList();
    if (failedRequired.isEmpty()) {
      return 200;
    }
    if (failedRequired.stream().anyMatch(r -> SourceResult.TIMEOUT.equals(r.errorKind()))) {
      return 504;
    }
    if (failedRequired.stream().anyMatch(r -> SourceResult.SHED.equals(r.errorKind()))) {
      return 503;
    }
    return 502;
  }
}
