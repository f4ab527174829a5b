package dev.gather;

import dev.gather.config.ConfigException;
import dev.gather.config.GatherConfig;
import dev.gather.console.Console;
import dev.gather.db.Database;
import dev.gather.db.DatabaseVerticle;
import dev.gather.demo.DemoUpstreamVerticle;
import dev.gather.jobs.queue.JobStore;
import dev.gather.jobs.handler.JobHandlers;
import dev.gather.jobs.handler.JobPool;
import dev.gather.jobs.run.JobRunnerVerticle;
import dev.gather.jobs.run.JobsVerticle;
import dev.gather.jobs.schedule.ScheduleChecks;
import dev.gather.jobs.schedule.ScheduleStore;
import dev.gather.jobs.schedule.ScheduleVerticle;
import dev.gather.logging.Logs;
import dev.gather.metrics.GatherMetrics;
import dev.gather.metrics.HttpServerMeters;
import dev.gather.server.HttpVerticle;
import dev.gather.server.LocalCodec;
import dev.gather.trace.Tracing;
import dev.gather.upstream.UpstreamGuards;
import dev.gather.users.UserExports;
import dev.gather.http.ServiceState;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.ThreadingModel;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.micrometer.MicrometerMetricsFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One running gather: the demo upstream (when enabled), the database verticle (which finds the database and
 * migrates it), then the job and HTTP verticles, each opening the shared pools on its own event loop. Stopping
 * reverses the order so that in-flight requests drain while the pool they need is still open.
 */
public final class Gather {
  private static final long RUNNER_STOP_MS = 2000;
  private final Vertx vertx;
  private final GatherConfig config;
  private final ServiceState state;
  private final Tracing tracing;
  private String demoDeployment;
  private String databaseDeployment;
  private String httpDeployment;
  private final List<String> runnerDeployments = new ArrayList<>();
  private String jobsDeployment;
  private String scheduleDeployment;
  private Console console;

  private Gather(Vertx vertx, GatherConfig config, Tracing tracing) {
    this.vertx = vertx;
    this.config = config;
    this.tracing = tracing;
    this.state = new ServiceState(config.http().instances());
  }

  /** A Vert.x whose pool metrics land in {@code registry} (see {@link GatherMetrics}). */
  public static Vertx newVertx(PrometheusMeterRegistry registry) {
    return newVertx(registry, Tracing.OFF);
  }

  /** The same, its HTTP server and clients traced when {@code tracing} is on. */
  public static Vertx newVertx(PrometheusMeterRegistry registry, Tracing tracing) {
    return tracing.applyTo(Vertx.builder()
        .with(new VertxOptions().setMetricsOptions(GatherMetrics.vertxOptions()))
        .withMetrics(new MicrometerMetricsFactory(registry)))
        .build();
  }

  public static PrometheusMeterRegistry newRegistry() {
    return GatherMetrics.registry();
  }

  public static Future<Gather> start(Vertx vertx, GatherConfig config, PrometheusMeterRegistry registry) {
    return start(vertx, config, registry, Tracing.OFF);
  }

  /** {@code tracing} must be the one {@code vertx} was made with ({@link #newVertx(PrometheusMeterRegistry, Tracing)}). */
  public static Future<Gather> start(Vertx vertx, GatherConfig config, PrometheusMeterRegistry registry,
      Tracing tracing) {
    // Before the first verticle, so that everything this gather logs is in its format.
    Logs.use(config.log().format());
    vertx.eventBus().registerCodec(new LocalCodec()).codecSelector(LocalCodec::select);
    JobStore.loadStatements(); // a blocking read from the jar, here rather than on an event loop
    ScheduleStore.loadStatements();
    Gather gather = new Gather(vertx, config, tracing);
    tracing.meters(registry);
    JobHandlers handlers;
    try {
      handlers = JobHandlers.load();
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    // Only now are the kinds known (handlers come from the class path): a limit on a misspelt kind would hold nothing.
    List<String> unknownKinds = config.jobs().kinds().keySet().stream()
        .filter(kind -> handlers.find(kind).isEmpty()).sorted().toList();
    if (!unknownKinds.isEmpty()) {
      return Future.failedFuture(new ConfigException(unknownKinds.stream().map(kind -> "jobs.kinds." + kind
          + ": no job kind \"" + kind + "\"; known kinds are " + String.join(", ", handlers.names())).toList()));
    }
    // Only now are the job kinds known: a schedule of a kind that does not exist is a config mistake like any other.
    List<String> scheduleProblems = ScheduleChecks.problems(config.jobs().schedules(), handlers);
    if (!scheduleProblems.isEmpty()) {
      return Future.failedFuture(new ConfigException(scheduleProblems));
    }
    Database database = new Database(config.db(), config.jobs().dbConnections());
    Future<String> demo = config.demo().enabled()
        ? vertx.deployVerticle(new DemoUpstreamVerticle(config.demo().host(), config.demo().port()))
        : Future.succeededFuture();
    return demo.compose(demoId -> {
          gather.demoDeployment = demoId;
          return vertx.deployVerticle(new DatabaseVerticle(database, config.db()));
        })
        .compose(id -> {
          gather.databaseDeployment = id;
          return config.jobs().enabled() ? gather.deployJobs(database, handlers, registry) : Future.succeededFuture();
        })
        .compose(jobs -> {
          UpstreamGuards guards = new UpstreamGuards(vertx, config.upstreams(), registry, tracing, config.dns());
          UserExports.Meters exportMeters = new UserExports.Meters(registry);
          HttpServerMeters serverMeters = new HttpServerMeters(registry);
          Console console = Console.start(vertx, config, registry, guards);
          gather.console = console;
          return vertx.deployVerticle(() -> new HttpVerticle(config, gather.state, registry, database, guards,
                  exportMeters, serverMeters, handlers, tracing, console),
              new DeploymentOptions().setInstances(config.http().instances()));
        })
        .map(id -> {
          gather.httpDeployment = id;
          gather.state.deployed();
          return gather;
        });
  }

  /**
   * One worker verticle per thread of each pool, each pool on its own named worker pool (so CPU jobs never wait
   * behind blocking ones), then the verticle that schedules them.
   */
  private Future<Void> deployJobs(Database database, JobHandlers handlers, PrometheusMeterRegistry registry) {
    List<Future<String>> runners = new ArrayList<>();
    for (JobPool pool : JobPool.values()) {
      int size = pool == JobPool.CPU ? config.jobs().cpuWorkers() : config.jobs().blockingWorkers();
      AtomicInteger index = new AtomicInteger();
      runners.add(vertx.deployVerticle(() -> new JobRunnerVerticle(pool, index.getAndIncrement()),
              new DeploymentOptions()
                  .setThreadingModel(ThreadingModel.WORKER)
                  .setWorkerPoolName(pool.threadPoolName())
                  .setWorkerPoolSize(size)
                  .setInstances(size))
          .onSuccess(runnerDeployments::add));
    }
    return Future.all(runners)
        .compose(deployed -> vertx.deployVerticle(
            new JobsVerticle(config.jobs(), database, handlers, registry, config.shutdown().drainMs())))
        .compose(id -> {
          jobsDeployment = id;
          // A worker, not an event loop: working out cron ticks for up to 1,000 schedules, at every reload and
          // tick, is CPU the event loops that HTTP shares should not pay (tens to hundreds of µs per expression).
          return vertx.deployVerticle(new ScheduleVerticle(config.jobs(), database),
              new DeploymentOptions().setThreadingModel(ThreadingModel.WORKER));
        })
        .map(id -> {
          scheduleDeployment = id;
          return null;
        });
  }

  /**
   * Readiness goes false, the HTTP servers drain (up to shutdown.drainMs), running jobs finish or are handed back,
   * then the database side closes.
   */
  public Future<Void> stop() {
    state.draining();
    Future<Void> http = httpDeployment == null ? Future.succeededFuture() : vertx.undeploy(httpDeployment);
    return http
        .andThen(ignored -> {
          if (console != null) {
            console.stop();
            console = null;
          }
        })
        // The scheduler first: no tick is enqueued into a queue that is shutting down.
        .transform(ignored -> scheduleDeployment == null ? Future.succeededFuture() : vertx.undeploy(scheduleDeployment))
        .transform(ignored -> jobsDeployment == null ? Future.succeededFuture() : vertx.undeploy(jobsDeployment))
        .transform(ignored -> Future.join(runnerDeployments.stream().map(this::undeployRunners).toList()))
        .transform(ignored -> databaseDeployment == null ? Future.succeededFuture() : vertx.undeploy(databaseDeployment))
        .transform(ignored -> demoDeployment == null ? Future.succeededFuture() : vertx.undeploy(demoDeployment))
        .transform(ignored -> tracing.close()) // the last requests' spans, exported before the process goes
        .onComplete(done -> {
          demoDeployment = null;
          httpDeployment = null;
          jobsDeployment = null;
          scheduleDeployment = null;
          runnerDeployments.clear();
          databaseDeployment = null;
        });
  }

  /** A runner still inside a job that ignores its cancel signal cannot stop; do not let it hold the shutdown. */
  private Future<Void> undeployRunners(String id) {
    return vertx.undeploy(id).timeout(RUNNER_STOP_MS, java.util.concurrent.TimeUnit.MILLISECONDS);
  }

  public GatherConfig config() {
    return config;
  }
}
