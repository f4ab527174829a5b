package dev.gather.fanout;

import dev.gather.config.AggregateConfig;
import dev.gather.http.ApiError;
import dev.gather.http.RequestIds;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.util.HashMap;
import java.util.Map;

/** The {@code /aggregate/...} endpoints declared in config: one handler per aggregate. */
public final class AggregatesApi {
  private final UpstreamClients upstreams;

  public AggregatesApi(UpstreamClients upstreams) {
    this.upstreams = upstreams;
  }

  public Handler<RoutingContext> handler(AggregateConfig aggregate) {
    return ctx -> run(ctx, aggregate);
  }

  private void run(RoutingContext ctx, AggregateConfig aggregate) {
    String mode = ctx.queryParams().get("mode");
    if (mode != null && !mode.equals("sequential") && !mode.equals("concurrent")) {
      throw ApiError.badRequest("mode must be concurrent (the default) or sequential, got \"" + mode + "\"");
    }
    Map<String, String> params = new HashMap<>();
    ctx.queryParams().forEach(params::putIfAbsent);
    params.putAll(ctx.pathParams());
    AggregateRun run = new AggregateRun(aggregate, upstreams, params, ctx.request().headers(), RequestIds.of(ctx));
    ("sequential".equals(mode) ? run.sequential() : run.concurrent())
        .onSuccess(results -> Envelope.send(ctx, aggregate, results))
        .onFailure(ctx::fail);
  }
}
