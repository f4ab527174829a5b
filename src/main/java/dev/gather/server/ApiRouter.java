package dev.gather.server;

import dev.gather.cache.CacheAdmin;
import dev.gather.config.AggregateConfig;
import dev.gather.config.RouteGroup;
import dev.gather.console.ConsoleApi;
import dev.gather.fanout.AggregatesApi;
import dev.gather.http.AccessLog;
import dev.gather.http.ApiDocs;
import dev.gather.http.OpsApi;
import dev.gather.http.Problems;
import dev.gather.http.RequestIds;
import dev.gather.http.RequestMeter;
import dev.gather.http.ServerSpans;
import dev.gather.http.RequestTimeout;
import dev.gather.http.RouteGuard;
import dev.gather.jobs.api.ComputeApi;
import dev.gather.jobs.api.JobEventsApi;
import dev.gather.jobs.api.JobsApi;
import dev.gather.jobs.api.KindsApi;
import dev.gather.jobs.schedule.SchedulesApi;
import dev.gather.proxy.ProxyApi;
import dev.gather.users.UsersApi;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.CorsHandler;

/** Every route of the HTTP API in one place; {@code openapi.yaml} describes exactly these. */
public final class ApiRouter {
  private static final String JSON = "application/json";
  private static final List<HttpMethod> PROXIED_METHODS = List.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.POST,
      HttpMethod.PUT, HttpMethod.PATCH, HttpMethod.DELETE, HttpMethod.OPTIONS);
  private static final int[] ROUTER_ERRORS = {400, 404, 405, 406, 413, 415, 500, 503};

  private ApiRouter() {}

  public static Router create(Vertx vertx, long maxBodyBytes, AccessLog accessLog, RequestMeter meter,
      RequestTimeout timeout, Problems problems, OpsApi ops, ApiDocs docs, UsersApi users,
      AggregatesApi aggregatesApi, Collection<AggregateConfig> aggregates, ProxyApi proxy, JobsApi jobs,
      KindsApi kinds, SchedulesApi schedules, JobEventsApi jobEvents, ComputeApi compute, List<RouteGuard> guards, Optional<CorsHandler> cors, CacheAdmin cacheAdmin,
      Optional<ServerSpans> serverSpans, ConsoleApi console) {
    Router router = Router.router(vertx);
    // First of all: everything a request does, even being refused, happens inside its span.
    serverSpans.ifPresent(spans -> router.route().handler(spans));
    router.route().handler(meter::begin).handler(RequestIds::assign);
    if (accessLog != null) {
      router.route().handler(accessLog::record);
    }
    // Before the timeout and the routes: a preflight is answered here, whatever route it names.
    cors.ifPresent(handler -> router.route().handler(handler));
    router.route().handler(timeout::handle).handler(proxy::guard);
    // Per route, not global: a method-filtered catch-all route would turn every unknown path into a 405.
    BodyHandler body = BodyHandler.create(false).setBodyLimit(maxBodyBytes);
    Stations stations = new Stations(meter, guards);

    stations.at(router.get("/"), RouteGroup.INFO).handler(ops::info);
    stations.at(router.get("/health/live"), RouteGroup.HEALTH).handler(ops::live);
    stations.at(router.get("/health/ready"), RouteGroup.HEALTH).handler(ops::ready);
    stations.at(router.get("/metrics"), RouteGroup.METRICS).handler(ops::metrics);
    stations.at(router.get("/openapi.yaml"), RouteGroup.DOCS).handler(docs::spec);
    stations.at(router.get("/docs"), RouteGroup.DOCS).handler(docs::page);
    stations.at(router.get("/docs/assets/*"), RouteGroup.DOCS).handler(docs::assets);

    stations.at(router.get("/users"), RouteGroup.USERS).handler(users::list);
    stations.at(router.post("/users"), RouteGroup.USERS).consumes(JSON).handler(body).handler(users::create);
    stations.at(router.get("/users/export"), RouteGroup.USERS).handler(users::export);
    stations.at(router.get("/users/:id"), RouteGroup.USERS).handler(users::get);
    stations.at(router.put("/users/:id"), RouteGroup.USERS).consumes(JSON).handler(body).handler(users::update);
    stations.at(router.delete("/users/:id"), RouteGroup.USERS).handler(users::delete);

    stations.at(router.post("/compute/:kind"), RouteGroup.COMPUTE).handler(body).handler(compute::compute);
    stations.at(router.post("/jobs"), RouteGroup.JOBS).handler(body).handler(jobs::enqueue);
    stations.at(router.post("/jobs/batch"), RouteGroup.JOBS).handler(body).handler(jobs::enqueueMany);
    stations.at(router.get("/jobs"), RouteGroup.JOBS).handler(jobs::list);
    // Before /jobs/:id, which would take "kinds" for an id. Pausing changes what every gather does: admin's policy.
    stations.at(router.get("/jobs/kinds"), RouteGroup.JOBS).handler(kinds::list);
    stations.at(router.post("/jobs/kinds/:kind/pause"), RouteGroup.ADMIN).handler(kinds::pause);
    stations.at(router.post("/jobs/kinds/:kind/resume"), RouteGroup.ADMIN).handler(kinds::resume);
    // Before /jobs/:id, which would take "schedules" for an id.
    stations.at(router.get("/jobs/schedules"), RouteGroup.JOBS).handler(schedules::list);
    stations.at(router.post("/jobs/schedules"), RouteGroup.JOBS).consumes(JSON).handler(body).handler(schedules::create);
    stations.at(router.get("/jobs/schedules/:name"), RouteGroup.JOBS).handler(schedules::get);
    stations.at(router.put("/jobs/schedules/:name"), RouteGroup.JOBS).consumes(JSON).handler(body)
        .handler(schedules::put);
    stations.at(router.delete("/jobs/schedules/:name"), RouteGroup.JOBS).handler(schedules::delete);
    stations.at(router.get("/jobs/:id"), RouteGroup.JOBS).handler(jobs::get);
    stations.at(router.get("/jobs/:id/file"), RouteGroup.JOBS).handler(jobs::file);
    stations.at(router.get("/jobs/:id/events"), RouteGroup.JOBS).handler(jobEvents::events);
    stations.at(router.delete("/jobs/:id"), RouteGroup.JOBS).handler(jobs::cancel);

    // Declared in config: the served openapi.yaml gets their operations at start (dev.gather.openapi).
    // The body is read (and bounded) only where a template reads it; elsewhere nothing buffers it.
    for (AggregateConfig aggregate : aggregates) {
      Route route = stations.at(router.route(HttpMethod.valueOf(aggregate.method()), aggregate.path()), aggregate);
      if (aggregate.readsBody()) {
        route.handler(body);
      }
      route.handler(aggregatesApi.handler(aggregate));
    }

    stations.at(router.delete("/admin/cache"), RouteGroup.ADMIN).handler(cacheAdmin::purge);

    if (console != null) {
      // The page and its assets are code, no data, open like /docs; what they show comes from /console/api, which
      // the console's policy guards (the admin routes' unless auth.routes.console is set). Actions go through the
      // jobs API and its own policy.
      stations.at(router.get("/console"), RouteGroup.DOCS).handler(console::page);
      stations.at(router.get("/console/assets/*"), RouteGroup.DOCS).handler(console::assets);
      stations.at(router.get("/console/api/overview"), RouteGroup.CONSOLE).handler(console::overview);
      stations.at(router.get("/console/api/aggregates"), RouteGroup.CONSOLE).handler(console::aggregates);
      stations.at(router.get("/console/api/upstreams"), RouteGroup.CONSOLE).handler(console::upstreams);
      stations.at(router.get("/console/api/jobs"), RouteGroup.CONSOLE).handler(console::jobs);
      stations.at(router.get("/console/api/events"), RouteGroup.CONSOLE).handler(console::events);
    }

    Route proxied = stations.at(router.route("/proxy/:upstream/*"), RouteGroup.PROXY);
    PROXIED_METHODS.forEach(proxied::method);
    proxied.handler(proxy::forward);

    router.route().failureHandler(problems::handle);
    for (int status : ROUTER_ERRORS) {
      router.errorHandler(status, problems::handle);
    }
    return router;
  }

  /**
   * What every route runs before its own handlers: its meter (measured under its template, failed requests
   * included), then each guard's handlers for its group, in the guards' order (authentication before rate limits).
   */
  private record Stations(RequestMeter meter, List<RouteGuard> guards) {
    Route at(Route route, RouteGroup group) {
      return guarded(route.handler(meter.at(route.getName())), group, Optional.empty());
    }

    Route at(Route route, AggregateConfig aggregate) {
      return guarded(route.handler(meter.at(route.getName(), aggregate.name())), RouteGroup.AGGREGATES,
          Optional.of(aggregate));
    }

    private Route guarded(Route route, RouteGroup group, Optional<AggregateConfig> aggregate) {
      for (RouteGuard guard : guards) {
        guard.handlers(group, aggregate).forEach(route::handler);
      }
      return route;
    }
  }
}
