package dev.gather.http;

import dev.gather.db.DbHealth;
import dev.gather.upstream.UpstreamGuards;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.micrometer.PrometheusScrapingHandler;
import java.util.function.Supplier;

/** The endpoints operators and orchestrators call: service info, liveness, readiness, metrics. */
public final class OpsApi {
  private final ServiceState state;
  private final Supplier<Future<DbHealth>> database;
  private final UpstreamGuards upstreams;
  private final Handler<RoutingContext> scrape;

  /** {@code database}: checks the database from this verticle's event loop; never fails, the health says what is wrong. */
  public OpsApi(ServiceState state, Supplier<Future<DbHealth>> database, PrometheusMeterRegistry registry,
      UpstreamGuards upstreams) {
    this.state = state;
    this.database = database;
    this.upstreams = upstreams;
    this.scrape = PrometheusScrapingHandler.create(registry);
  }

  public void info(RoutingContext ctx) {
    ctx.json(new JsonObject()
        .put("name", "gather")
        .put("version", BuildInfo.VERSION)
        .put("instances", state.httpInstances())
        .put("uptimeSeconds", state.uptime().toSeconds()));
  }

  /** Alive means the event loop answers; nothing external is checked, so a database outage never restarts us. */
  public void live(RoutingContext ctx) {
    ctx.json(new JsonObject().put("status", "UP"));
  }

  public void ready(RoutingContext ctx) {
    if (state.isDraining()) {
      ctx.fail(notReady("shutting down", new JsonObject().put("verticles", "DRAINING")));
      return;
    }
    if (!state.isDeployed()) {
      ctx.fail(notReady("starting", new JsonObject().put("verticles", "STARTING")));
      return;
    }
    database.get().onSuccess(health -> {
      JsonObject checks = new JsonObject()
          .put("verticles", "UP")
          .put("database", health.reachable() ? "UP" : "DOWN")
          .put("migrations", health.migrated() ? "APPLIED" : "PENDING");
      // Reported, never decisive: an upstream's open breaker is its problem, and a restart would not fix it.
      JsonObject breakers = new JsonObject();
      upstreams.breakerStates().forEach(breakers::put);
      if (!breakers.isEmpty()) {
        checks.put("circuitBreakers", breakers);
      }
      if (health.ready()) {
        ctx.json(new JsonObject().put("status", "UP").put("checks", checks));
      } else {
        ctx.fail(notReady(health.detail(), checks));
      }
    });
  }

  public void metrics(RoutingContext ctx) {
    scrape.handle(ctx);
  }

  private static ApiError notReady(String detail, JsonObject checks) {
    return new ApiError(503, "not-ready", detail,
        new JsonObject().put("status", "DOWN").put("checks", checks));
  }
}
