package dev.gather.console;

import dev.gather.db.DbHealth;
import dev.gather.http.ApiError;
import dev.gather.http.LiveStreams;
import dev.gather.http.ServiceState;
import dev.gather.jobs.queue.JobRequests;
import dev.gather.jobs.queue.JobStore;
import dev.gather.redis.CallerContext;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.StaticHandler;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The console's routes on one HTTP instance: the page and its assets (code only, no data, like {@code /docs}),
 * and its data under {@code /console/api}: overview, aggregates, upstreams, job counts, and a server-sent event
 * stream that pushes fresh figures every {@code console.pushMs} and each recorded request as it ends. The jobs
 * list, a job's detail and its actions are the jobs API's own ({@code /jobs}), called by the page.
 */
public final class ConsoleApi {
  /** Where the page's files are in the jar. */
  public static final String WEB_ROOT = "dev/gather/console/web";
  public static final String PAGE = WEB_ROOT + "/index.html";
  /**
   * Scripts and styles only from gather itself, nothing inline, no frames: even if some value slipped through
   * unescaped, a browser would not run it.
   */
  private static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
      + "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

  private final Vertx vertx;
  private final Console console;
  private final Buffer page;
  private final JobStore jobs;
  private final Supplier<Future<DbHealth>> database;
  private final ServiceState state;
  private final StaticHandler assets = StaticHandler.create(WEB_ROOT).setDirectoryListing(false);
  /** This instance's open streams and what ends each, run when it stops so that they do not hold the drain. */
  private final Map<HttpServerResponse, Runnable> streams = new HashMap<>();

  public ConsoleApi(Vertx vertx, Console console, Buffer page, JobStore jobs, Supplier<Future<DbHealth>> database,
      ServiceState state) {
    this.vertx = vertx;
    this.console = console;
    this.page = page;
    this.jobs = jobs;
    this.database = database;
    this.state = state;
  }

  /** {@code GET /console}: the one page; its script draws every view. */
  public void page(RoutingContext ctx) {
    guard(ctx.response()).putHeader(HttpHeaders.CONTENT_TYPE, "text/html; charset=utf-8").end(page);
  }

  /** {@code GET /console/assets/*}: the page's script and styles, from the jar. */
  public void assets(RoutingContext ctx) {
    guard(ctx.response());
    assets.handle(ctx);
  }

  private static HttpServerResponse guard(HttpServerResponse response) {
    return response.putHeader("Content-Security-Policy", CSP)
        .putHeader("X-Content-Type-Options", "nosniff")
        .putHeader("Referrer-Policy", "no-referrer");
  }

  public void overview(RoutingContext ctx) {
    overview().onSuccess(ctx::json).onFailure(ctx::fail);
  }

  public void aggregates(RoutingContext ctx) {
    ctx.json(new JsonObject().put("aggregates", aggregates()));
  }

  public void upstreams(RoutingContext ctx) {
    ctx.json(new JsonObject().put("upstreams", upstreams()));
  }

  public void jobs(RoutingContext ctx) {
    jobCounts().onSuccess(ctx::json).onFailure(ctx::fail);
  }

  /**
   * {@code GET /console/api/events}: {@code overview}, {@code upstreams} and {@code jobs} events every
   * {@code console.pushMs}, a {@code request} event per aggregate request recorded since. While at least one is
   * open, aggregate requests are recorded; at most {@code console.maxViewers} at once (503 beyond).
   */
  public void events(RoutingContext ctx) {
    if (!console.admit()) {
      throw new ApiError(503, "console-busy", "the console already has " + console.settings().maxViewers()
          + " live viewers (console.maxViewers); close a console page or raise console.maxViewers")
          .retryAfterMs(5000);
    }
    HttpServerResponse response = ctx.response();
    // A client gone while the guards ran: its close handler would never be called, and its slot never freed.
    if (response.closed()) {
      console.leave();
      return;
    }
    LiveStreams.start(response, LiveStreams.SERVER_SENT_EVENTS);
    response.write("retry: 2000\n\n");
    long[] seen = {console.ring().lastSeq()};
    boolean[] busy = {false};
    Runnable push = () -> {
      // A page that does not read is skipped, not buffered for: its stream's memory stays bounded.
      if (busy[0] || response.writeQueueFull() || over(response)) {
        return;
      }
      busy[0] = true;
      for (RecordedRequest request : console.ring().since(seen[0])) {
        send(response, "request", ConsoleViews.request(request));
        seen[0] = request.seq();
      }
      send(response, "upstreams", new JsonObject().put("upstreams", upstreams()));
      Future.join(overview().onSuccess(json -> send(response, "overview", json)),
              jobCounts().onSuccess(json -> send(response, "jobs", json)))
          .onComplete(done -> busy[0] = false);
    };
    long timer = vertx.setPeriodic(1, console.settings().pushMs(), id -> push.run());
    // Once, whichever comes first: the client leaving, or close() ending the stream at shutdown.
    boolean[] left = {false};
    Runnable leave = () -> {
      if (!left[0]) {
        left[0] = true;
        vertx.cancelTimer(timer);
        streams.remove(response);
        console.leave();
      }
    };
    streams.put(response, leave);
    response.closeHandler(closed -> leave.run());
  }

  private static boolean over(HttpServerResponse response) {
    return response.closed() || response.ended();
  }

  private static void send(HttpServerResponse response, String event, JsonObject data) {
    if (!over(response)) {
      response.write("event: " + event + "\ndata: " + data.encode() + "\n\n");
    }
  }

  /** Ends this instance's streams (the pages reconnect elsewhere or later); on stop, before the drain. */
  public void close() {
    Map.copyOf(streams).forEach((response, leave) -> {
      leave.run();
      if (!over(response)) {
        response.end();
      }
    });
  }

  private Future<JsonObject> overview() {
    Future<DbHealth> db = database.get();
    // The probe is shared by every HTTP instance and Redis answers on its own event loop: back to this one, where
    // the stream's state and the response live.
    Future<JsonObject> redis = CallerContext.resume(console.redis().state());
    return Future.join(db, redis).transform(done -> {
      JsonObject json = new JsonObject()
          .put("name", "gather")
          .put("version", state.version())
          .put("instances", state.httpInstances())
          .put("uptimeSeconds", state.uptime().toSeconds())
          .put("draining", state.isDraining())
          .put("viewers", console.ring().watchers());
      DbHealth health = db.succeeded() ? db.result() : new DbHealth(false, false, "the check failed");
      json.put("database", new JsonObject().put("reachable", health.reachable()).put("migrated", health.migrated())
          .put("detail", health.detail()));
      json.put("redis", redis.succeeded() ? redis.result() : new JsonObject());
      json.put("aggregates", console.history().aggregates());
      json.put("upstreams", console.history().upstreams());
      return Future.succeededFuture(json);
    });
  }

  private JsonArray aggregates() {
    JsonArray all = new JsonArray();
    console.config().aggregates().values()
        .forEach(aggregate -> all.add(ConsoleViews.aggregate(aggregate, console.config().upstreams(),
            console.ring().recent(aggregate.name()))));
    return all;
  }

  private JsonArray upstreams() {
    return ConsoleViews.upstreams(console.config().upstreams(), console.guards(), console.registry(),
        console.history().upstreams());
  }

  /**
   * Queued and running jobs by kind. The hook for per-kind state (paused, limits, counts of every state): the page
   * asks {@code GET /jobs/kinds} first and falls back to this when that route does not exist.
   */
  private Future<JsonObject> jobCounts() {
    return jobs.depth().map(rows -> {
      JsonArray counts = new JsonArray();
      for (JobRequests.DepthRow row : rows) {
        counts.add(new JsonObject().put("kind", row.kind()).put("status", row.status()).put("jobs", row.count()));
      }
      return new JsonObject().put("counts", counts);
    });
  }
}
