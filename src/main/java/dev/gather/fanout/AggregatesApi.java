package dev.gather.fanout;

import dev.gather.config.AggregateConfig;
import dev.gather.db.NamedQueries;
import dev.gather.http.ApiError;
import dev.gather.http.RequestIds;
import dev.gather.upstream.Upstreams;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.util.HashMap;
import java.util.Map;

/** The {@code /aggregate/...} endpoints declared in config: one handler per aggregate. */
public final class AggregatesApi {
  private static final String CONCURRENT = "concurrent";
  private static final String SEQUENTIAL = "sequential";

  private final Upstreams upstreams;
  private final NamedQueries queries;
  private final long queryTimeoutMs;
  private final AggregateMetrics metrics;

  public AggregatesApi(Upstreams upstreams, NamedQueries queries, long queryTimeoutMs, MeterRegistry registry) {
    this.upstreams = upstreams;
    this.queries = queries;
    this.queryTimeoutMs = queryTimeoutMs;
    this.metrics = new AggregateMetrics(registry);
  }

  public Handler<RoutingContext> handler(AggregateConfig aggregate) {
    return ctx -> run(ctx, aggregate);
  }

  private void run(RoutingContext ctx, AggregateConfig aggregate) {
    long began = System.nanoTime();
    String mode = ctx.queryParams().get("mode") == null ? CONCURRENT : ctx.queryParams().get("mode");
    if (!mode.equals(SEQUENTIAL) && !mode.equals(CONCURRENT)) {
      throw ApiError.badRequest("mode must be concurrent (the default) or sequential, got \"" + mode + "\"");
    }
    Map<String, String> params = new HashMap<>();
    ctx.queryParams().forEach(params::putIfAbsent);
    params.putAll(ctx.pathParams());
    AggregateRun run = new AggregateRun(aggregate, upstreams, queries, queryTimeoutMs, params, ctx.request().headers(),
        RequestIds.of(ctx));
    // A client that leaves takes its upstream calls with it: they are reset, and no further source starts.
    ctx.response().closeHandler(closed -> run.cancel());
    (mode.equals(SEQUENTIAL) ? run.sequential() : run.concurrent())
        .onSuccess(results -> {
          int status = Envelope.send(ctx, aggregate, results);
          boolean complete = results.values().stream().allMatch(SourceResult::ok);
          metrics.request(aggregate.name(), mode, status, complete, System.nanoTime() - began);
        })
        .onFailure(ctx::fail);
  }
}
