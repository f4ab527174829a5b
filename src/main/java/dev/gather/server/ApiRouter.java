package dev.gather.server;

import dev.gather.config.AggregateConfig;
import dev.gather.fanout.AggregatesApi;
import dev.gather.http.AccessLog;
import dev.gather.http.ApiDocs;
import dev.gather.http.OpsApi;
import dev.gather.http.Problems;
import dev.gather.http.RequestIds;
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

  public static Router create(Vertx vertx, long maxBodyBytes, boolean accessLog, RequestTimeout timeout, Problems problems,
      OpsApi ops, ApiDocs docs, UsersApi users, AggregatesApi aggregatesApi, Collection<AggregateConfig> aggregates,
      ProxyApi proxy, JobsApi jobs, ComputeApi compute) {
    Router router = Router.router(vertx);
    router.route().handler(RequestIds::assign);
    if (accessLog) {
      router.route().handler(AccessLog::record);
    }
    router.route().handler(timeout::handle).handler(proxy::guard);
    // Per route, not global: a method-filtered catch-all route would turn every unknown path into a 405.
    BodyHandler body = BodyHandler.create(false).setBodyLimit(maxBodyBytes);

    router.get("/").handler(ops::info);
    router.get("/health/live").handler(ops::live);
    router.get("/health/ready").handler(ops::ready);
    router.get("/metrics").handler(ops::metrics);
    router.get("/openapi.yaml").handler(docs::spec);
    router.get("/docs").handler(docs::page);
    router.get("/docs/assets/*").handler(docs::assets);

    router.get("/users").handler(users::list);
    router.post("/users").consumes(JSON).handler(body).handler(users::create);
    router.get("/users/export").handler(users::export);
    router.get("/users/:id").handler(users::get);
    router.put("/users/:id").consumes(JSON).handler(body).handler(users::update);
    router.delete("/users/:id").handler(users::delete);

    router.post("/compute/:kind").handler(body).handler(compute::compute);
    router.post("/jobs").handler(body).handler(jobs::enqueue);
    router.post("/jobs/batch").handler(body).handler(jobs::enqueueMany);
    router.get("/jobs").handler(jobs::list);
    router.get("/jobs/:id").handler(jobs::get);
    router.delete("/jobs/:id").handler(jobs::cancel);

    // Declared in config, so openapi.yaml describes them generically and the contract test leaves them out.
    for (AggregateConfig aggregate : aggregates) {
      router.get(aggregate.path()).handler(aggregatesApi.handler(aggregate));
    }

    Route proxied = router.route("/proxy/:upstream/*");
    PROXIED_METHODS.forEach(proxied::method);
    proxied.handler(proxy::forward);

    router.route().failureHandler(problems::handle);
    for (int status : ROUTER_ERRORS) {
      router.errorHandler(status, problems::handle);
    }
    return router;
  }
}
