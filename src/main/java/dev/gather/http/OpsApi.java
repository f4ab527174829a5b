package dev.gather.http;

import dev.gather.db.DbHealth;
import dev.gather.upstream.UpstreamGuards;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.micrometer.PrometheusScrapingHandler;
import java.util.function.Supplier;

/** The endpoints operators and orchestrators call: service info, liveness, readiness, metrics. */
public final class OpsApi {
  private static final CharSequence JSON = HttpHeaders.createOptimized("application/json");
  private final ServiceState state;
  private final Supplier<Future<DbHealth>> database;
  private final UpstreamGuards upstreams;
  private final Handler<RoutingContext> scrape;
  /** {@code GET /}'s body up to its one changing value, encoded once: the hello of every load test. */
  private final Buffer infoHead;

  /** {@code database}: checks the database from this verticle's event loop; never fails, the health says what is wrong. */
  public OpsApi(ServiceState state, Supplier<Future<DbHealth>> database, PrometheusMeterRegistry registry,
      UpstreamGuards upstreams) {
    this.state = state;
    this.database = database;
    this.upstreams = upstreams;
    this.scrape = PrometheusScrapingHandler.create(registry);
    String fixed = new JsonObject()
        .put("name", "gather")
        .put("version", BuildInfo.VERSION)
        .put("instances", state.httpInstances())
        .encode();
    this.infoHead = Buffer.buffer(fixed.substring(0, fixed.length() - 1) + ",\"uptimeSeconds\":");
  }

  public void info(RoutingContext ctx) {
    Buffer body = Buffer.buffer(infoHead.length() + 21).appendBuffer(infoHead)
        .appendString(Long.toString(state.uptime().toSeconds())).appendByte((byte) '}');
    ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, JSON).end(body);
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
      // The same for hosts: an ejected host is the picker's to route around, not a reason to stop taking traffic.
      JsonObject hosts = new JsonObject();
      upstreams.hostStates().forEach((name, states) -> {
        JsonObject each = new JsonObject();
        states.forEach((host, state) -> each.put(host, new JsonObject(state)));
        hosts.put(name, each);
      });
      if (!hosts.isEmpty()) {
        checks.put("upstreamHosts", hosts);
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
