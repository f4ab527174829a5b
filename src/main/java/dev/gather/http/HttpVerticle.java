package dev.gather.http;

import dev.gather.config.GatherConfig;
import dev.gather.db.DbClient;
import dev.gather.fanout.AggregatesApi;
import dev.gather.jobs.ComputeApi;
import dev.gather.jobs.JobHandlers;
import dev.gather.jobs.JobsApi;
import dev.gather.proxy.ProxyApi;
import dev.gather.upstream.UpstreamGuards;
import dev.gather.upstream.Upstreams;
import dev.gather.users.UsersApi;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import java.util.concurrent.TimeUnit;

/**
 * The HTTP API. One instance per event loop (http.instances); they share the port, and the kernel spreads
 * connections between them.
 */
public final class HttpVerticle extends VerticleBase {
  private final GatherConfig config;
  private final ServiceState state;
  private final PrometheusMeterRegistry registry;
  private HttpServer server;
  private final UpstreamGuards guards;
  private final JobHandlers jobHandlers;
  private Upstreams upstreams;

  /** {@code guards}: the limits and meters of the upstreams, one set for the whole process. */
  public HttpVerticle(GatherConfig config, ServiceState state, PrometheusMeterRegistry registry, UpstreamGuards guards,
      JobHandlers jobHandlers) {
    this.config = config;
    this.guards = guards;
    this.jobHandlers = jobHandlers;
    this.state = state;
    this.registry = registry;
  }

  @Override
  public Future<?> start() {
    DbClient db = new DbClient(vertx, config.db().queryTimeoutMs());
    upstreams = new Upstreams(vertx, config.upstreams(), guards);
    return vertx.fileSystem().readFile(ApiDocs.SPEC_RESOURCE).compose(spec -> {
      var router = ApiRouter.create(vertx,
          config.http().maxBodyBytes(),
          config.http().accessLog(),
          new RequestTimeout(config.http().requestTimeoutMs()),
          new Problems(config.db().queryTimeoutMs()),
          new OpsApi(state, db, registry, guards),
          new ApiDocs(spec),
          new UsersApi(db),
          new AggregatesApi(upstreams, db, config.db().queryTimeoutMs(), registry),
          config.aggregates().values(),
          new ProxyApi(upstreams),
          new JobsApi(db, jobHandlers, config.jobs()),
          new ComputeApi(vertx, jobHandlers, config.jobs().computeTimeoutMs()));
      server = vertx.createHttpServer(new HttpServerOptions()
              .setHost(config.http().host())
              .setPort(config.http().port())
              .setCompressionSupported(true)
              .setMaxFormAttributeSize((int) Math.min(Integer.MAX_VALUE, config.http().maxBodyBytes())))
          .requestHandler(router);
      return server.listen();
    });
  }

  /** Stops accepting at once, then lets in-flight requests finish for up to shutdown.drainMs. */
  @Override
  public Future<?> stop() {
    Future<Void> drained = server == null
        ? Future.succeededFuture()
        : server.shutdown(config.shutdown().drainMs(), TimeUnit.MILLISECONDS);
    return drained.onComplete(done -> upstreams.close());
  }
}
