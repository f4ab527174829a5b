package dev.gather.server;

import dev.gather.config.AggregateConfig;
import dev.gather.fanout.AggregatesApi;
import dev.gather.http.AccessLog;
import dev.gather.http.ApiDocs;
import dev.gather.http.OpsApi;
import dev.gather.http.Problems;
import dev.gather.http.RequestIds;
import dev.gather.http.RequestMeter;
import dev.gather.http.RequestTimeout;
import dev.gather.jobs.ComputeApi;
import dev.gather.jobs.JobsApi;
import dev.gather.proxy.ProxyApi;
import dev.gather.users.UsersApi;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import java.util.Collection;
import java.util.List;
import io.vertx.ext.web.handler.BodyHandler;

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
      ComputeApi compute) {
    Router router = Router.router(vertx);
    router.route().handler(meter::begin).handler(RequestIds::assign);
    if (accessLog != null) {
      router.route().handler(accessLog::record);
    }
    router.route().handler(timeout::handle).handler(proxy::guard);
    // Per route, not global: a method-filtered catch-all route would turn every unknown path into a 405.
    BodyHandler body = BodyHandler.create(false).setBodyLimit(maxBodyBytes);

    at(router.get("/"), meter).handler(ops::info);
    at(router.get("/health/live"), meter).handler(ops::live);
    at(router.get("/health/ready"), meter).handler(ops::ready);
    at(router.get("/metrics"), meter).handler(ops::metrics);
    at(router.get("/openapi.yaml"), meter).handler(docs::spec);
    at(router.get("/docs"), meter).handler(docs::page);
    at(router.get("/docs/assets/*"), meter).handler(docs::assets);

    at(router.get("/users"), meter).handler(users::list);
    at(router.post("/users"), meter).consumes(JSON).handler(body).handler(users::create);
    at(router.get("/users/export"), meter).handler(users::export);
    at(router.get("/users/:id"), meter).handler(users::get);
    at(router.put("/users/:id"), meter).consumes(JSON).handler(body).handler(users::update);
    at(router.delete("/users/:id"), meter).handler(users::delete);

    at(router.post("/compute/:kind"), meter).handler(body).handler(compute::compute);
    at(router.post("/jobs"), meter).handler(body).handler(jobs::enqueue);
    at(router.post("/jobs/batch"), meter).handler(body).handler(jobs::enqueueMany);
    at(router.get("/jobs"), meter).handler(jobs::list);
    at(router.get("/jobs/:id"), meter).handler(jobs::get);
    at(router.delete("/jobs/:id"), meter).handler(jobs::cancel);

    // Declared in config: the served openapi.yaml gets their operations at start (dev.gather.openapi).
    // The body is read (and bounded) only where a template reads it; elsewhere nothing buffers it.
    for (AggregateConfig aggregate : aggregates) {
      Route route = at(router.route(HttpMethod.valueOf(aggregate.method()), aggregate.path()), meter);
      if (aggregate.readsBody()) {
        route.handler(body);
      }
      route.handler(aggregatesApi.handler(aggregate));
    }

    Route proxied = at(router.route("/proxy/:upstream/*"), meter);
    PROXIED_METHODS.forEach(proxied::method);
    proxied.handler(proxy::forward);

    router.route().failureHandler(problems::handle);
    for (int status : ROUTER_ERRORS) {
      router.errorHandler(status, problems::handle);
    }
    return router;
  }

  /** A route whose requests are measured under its template, failed ones included. */
  private static Route at(Route route, RequestMeter meter) {
    return route.handler(meter.at(route.getName()));
  }
}
