package dev.gather.server;

import dev.gather.auth.Authentication;
import dev.gather.cache.CacheAdmin;
import dev.gather.cache.SourceCache;
import dev.gather.config.GatherConfig;
import dev.gather.config.HttpConfig;
import dev.gather.console.Console;
import dev.gather.console.ConsoleApi;
import dev.gather.db.Database;
import dev.gather.db.NamedQueries;
import dev.gather.fanout.AggregatesApi;
import dev.gather.http.AccessLog;
import dev.gather.http.ApiDocs;
import dev.gather.http.Cors;
import dev.gather.openapi.OpenApiDocument;
import dev.gather.http.InvalidRequests;
import dev.gather.http.OpsApi;
import dev.gather.http.Problems;
import dev.gather.http.RequestMeter;
import dev.gather.http.ServerSpans;
import dev.gather.trace.Tracing;
import io.vertx.core.tracing.TracingPolicy;
import java.util.Optional;
import dev.gather.http.RequestTimeout;
import dev.gather.http.RouteGuard;
import dev.gather.http.ServiceState;
import dev.gather.jobs.api.ComputeApi;
import dev.gather.jobs.handler.JobHandlers;
import dev.gather.jobs.queue.JobStore;
import dev.gather.jobs.queue.KindStore;
import dev.gather.jobs.api.JobsApi;
import dev.gather.jobs.api.KindsApi;
import dev.gather.jobs.schedule.ScheduleStore;
import dev.gather.jobs.schedule.SchedulesApi;
import dev.gather.jobs.api.JobEventsApi;
import dev.gather.jobs.events.JobWatchers;
import dev.gather.jobs.events.WatchLimit;
import dev.gather.metrics.HttpServerMeters;
import dev.gather.proxy.ProxyApi;
import dev.gather.ratelimit.RateLimits;
import dev.gather.time.Ticker;
import dev.gather.time.Timers;
import dev.gather.upstream.UpstreamGuards;
import dev.gather.upstream.Upstreams;
import dev.gather.users.UserExports;
import dev.gather.users.UserRepository;
import dev.gather.users.UsersApi;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlClient;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The HTTP API. One instance per event loop (http.instances); they share the port, and the kernel spreads
 * connections between them. Each opens its own pooled database client (and a reference to the shared pool for
 * export cursors), so its queries run and answer on its own event loop.
 */
public final class HttpVerticle extends VerticleBase {
  /** How long an export cursor may wait for its client to read before it is closed. */
  private static final long EXPORT_IDLE_TIMEOUT_MS = 30_000;

  private final GatherConfig config;
  private final ServiceState state;
  private final PrometheusMeterRegistry registry;
  private final Database database;
  private final UserExports.Meters exportMeters;
  private final HttpServerMeters serverMeters;
  private HttpServer server;
  private final UpstreamGuards guards;
  private final JobHandlers jobHandlers;
  private final Tracing tracing;
  /** The process's console; null when console.enabled is false. */
  private final Console console;
  private ConsoleApi consoleApi;
  private Upstreams upstreams;
  private AccessLog accessLog;
  private UserExports exports;
  private JobWatchers watchers;

  /**
   * {@code guards}: the limits and meters of the upstreams, {@code exportMeters} those of the exports and
   * {@code serverMeters} those of the HTTP server, one set for the whole process.
   */
  public HttpVerticle(GatherConfig config, ServiceState state, PrometheusMeterRegistry registry, Database database,
      UpstreamGuards guards, UserExports.Meters exportMeters, HttpServerMeters serverMeters,
      JobHandlers jobHandlers, Tracing tracing, Console console) {
    this.tracing = tracing;
    this.config = config;
    this.console = console;
    this.serverMeters = serverMeters;
    this.database = database;
    this.exportMeters = exportMeters;
    this.guards = guards;
    this.jobHandlers = jobHandlers;
    this.state = state;
    this.registry = registry;
  }

  @Override
  public Future<?> start() {
    long queryTimeoutMs = config.db().queryTimeoutMs();
    SqlClient client = database.client(vertx, config.http().instances());
    Pool pool = database.pool(vertx);
    exports = new UserExports(vertx, pool, EXPORT_IDLE_TIMEOUT_MS, queryTimeoutMs, exportMeters);
    upstreams = new Upstreams(vertx, config.upstreams(), guards);
    accessLog = config.http().accessLog() ? new AccessLog(vertx, Ticker.SYSTEM, config.log().format()) : null;
    SourceCache cache = SourceCache.shared(vertx, config.cache(), registry);
    Future<Buffer> consolePage = console == null ? Future.succeededFuture()
        : vertx.fileSystem().readFile(ConsoleApi.PAGE);
    JobStore jobStore = new JobStore(vertx, client, queryTimeoutMs);
    watchers = new JobWatchers(vertx, jobStore, WatchLimit.shared(vertx, config.jobs().maxWatchers()),
        config.jobs().pollMs());
    return Future.all(vertx.fileSystem().readFile(ApiDocs.SPEC_RESOURCE), consolePage).compose(read -> {
      Buffer spec = read.resultAt(0);
      consoleApi = console == null ? null : new ConsoleApi(vertx, console, read.resultAt(1), jobStore,
          () -> database.health(client), state);
      var router = ApiRouter.create(vertx,
          config.http().maxBodyBytes(),
          accessLog,
          new RequestMeter(serverMeters, Ticker.SYSTEM),
          new RequestTimeout(config.http().requestTimeoutMs(), Timers.timeouts(vertx)),
          new Problems(),
          new OpsApi(state, () -> database.health(client), registry, guards),
          new ApiDocs(OpenApiDocument.served(spec, config.aggregates().values(), config.auth(), config.rateLimit())),
          new UsersApi(new UserRepository(client, queryTimeoutMs), exports),
          new AggregatesApi(upstreams, new NamedQueries(client, pool, config.queries()), queryTimeoutMs, registry,
              Timers.timeouts(vertx), cache).recordingInto(console == null ? null : console.ring()),
          config.aggregates().values(),
          new ProxyApi(upstreams),
          new JobsApi(vertx, jobStore, watchers, jobHandlers, config.jobs()),
          new KindsApi(new KindStore(client, queryTimeoutMs), jobHandlers, config.jobs()),
          new SchedulesApi(new ScheduleStore(client, queryTimeoutMs), config.jobs().schedules(), jobHandlers,
              java.time.Clock.systemUTC()),
          new JobEventsApi(vertx, watchers, config.jobs().maxStreamMs()),
          new ComputeApi(vertx, jobHandlers, config.jobs().computeTimeoutMs()),
          guards(),
          Cors.handler(config.cors()),
          new CacheAdmin(cache, config.upstreams().keySet(), config.queries().keySet()),
          tracing.enabled() ? Optional.of(new ServerSpans(tracing.tracer(), tracing.propagator())) : Optional.empty(),
          consoleApi);
      HttpConfig http = config.http();
      HttpServerOptions options = new HttpServerOptions()
          .setHost(http.host())
          .setPort(http.port())
          .setCompressionSupported(true)
          // Cleartext HTTP/2 is not served: its upgrade handler answers an Upgrade: h2c that the Connection
          // header does not name with a body-less 400, where RFC 9110 7.8 says to ignore it.
          .setHttp2ClearTextEnabled(false)
          // Server spans are gather's own (ServerSpans, first on the router), not Vert.x's.
          .setTracingPolicy(TracingPolicy.IGNORE)
          .setMaxFormAttributeSize((int) Math.min(Integer.MAX_VALUE, http.maxBodyBytes()));
      server = vertx.createHttpServer(options)
          .connectionHandler(connection -> {
            if (!serverMeters.connected(http.maxConnections())) {
              ConnectionWatch.closeAtOnce(connection);
              return;
            }
            connection.closeHandler(closed -> serverMeters.disconnected());
            ConnectionWatch.install(connection, options, http.headerTimeoutMs(), http.idleTimeoutMs(),
                http.bodyTimeoutMs());
          })
          .invalidRequestHandler(new InvalidRequests(options.getMaxInitialLineLength(), options.getMaxHeaderSize()))
          .requestHandler(router);
      return server.listen();
    });
  }

  /** What stands in front of the routes, in order: who is calling, then how often they may. */
  private List<RouteGuard> guards() {
    return List.of(Authentication.create(vertx, config.auth()), RateLimits.shared(vertx, config.rateLimit(), registry));
  }

  /** Stops accepting at once, then lets in-flight requests finish for up to shutdown.drainMs. */
  @Override
  public Future<?> stop() {
    // Event streams and Prefer: wait end now rather than hold the drain until the jobs they follow end.
    if (watchers != null) {
      watchers.close();
    }
    if (consoleApi != null) {
      consoleApi.close(); // live pages would otherwise hold the drain to its end
    }
    Future<Void> drained = server == null
        ? Future.succeededFuture()
        : server.shutdown(config.shutdown().drainMs(), TimeUnit.MILLISECONDS);
    return drained
        .transform(done -> exports == null ? Future.succeededFuture() : exports.closeAll())
        .onComplete(done -> {
          upstreams.close();
          if (accessLog != null) {
            accessLog.flush(); // the lines of the drained requests, before the flush timer goes with the verticle
          }
        });
  }
}
