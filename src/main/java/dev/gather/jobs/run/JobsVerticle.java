package dev.gather.jobs.run;

import dev.gather.config.JobKindConfig;
import dev.gather.config.JobsConfig;
import dev.gather.db.Database;
import dev.gather.jobs.files.JobFiles;
import dev.gather.jobs.handler.JobHandlers;
import dev.gather.jobs.handler.JobPool;
import dev.gather.jobs.queue.Completer;
import dev.gather.jobs.queue.JobNotifications;
import dev.gather.jobs.queue.JobRequests;
import dev.gather.jobs.queue.JobStore;
import dev.gather.jobs.queue.KindStore;
import dev.gather.jobs.queue.LimitedClaims;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.sqlclient.Pool;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The job side of one process, on one event loop: a {@link Lane} per worker pool, and the timers that keep the
 * durable queue healthy: poll (a safety net under LISTEN/NOTIFY), heartbeat (renews this process's leases),
 * rescue (requeues jobs whose lease expired anywhere), retention clean-up and the queue-depth gauge.
 * The runners themselves are {@link JobRunnerVerticle}s, deployed before this verticle.
 */
public final class JobsVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(JobsVerticle.class);
  private static final long DEPTH_EVERY_MS = 5000;
  private static final long CLEAN_EVERY_MS = 60_000;
  private static final int CLEAN_BATCH = 1000;
  private static final long STOP_SLACK_MS = 5000;
  private static final long DB_SLACK_MS = 1000;

  private final JobsConfig config;
  private final JobHandlers handlers;
  private final MeterRegistry registry;
  private final long drainMs;
  private final Map<JobPool, Lane> lanes = new EnumMap<>(JobPool.class);
  private final List<MessageConsumer<?>> consumers = new ArrayList<>();
  private final List<Long> timers = new ArrayList<>();
  private long heartbeatTimer = -1;
  private long pauseTimer = -1;
  private JobSettings settings;
  private Completer completer;
  private final Database database;
  private JobStore store;
  private JobNotifications notifications;
  private JobMetrics metrics;
  private JobFiles files;
  private KindStore kinds;

  /** {@code database}: where claims, outcomes and upkeep go, over the workers' own pool. */
  public JobsVerticle(JobsConfig config, Database database, JobHandlers handlers, MeterRegistry registry, long drainMs) {
    this.config = config;
    this.database = database;
    this.handlers = handlers;
    this.registry = registry;
    this.drainMs = drainMs;
  }

  /** The files directory and the host name (a DNS lookup) are blocking work: done on a worker thread first. */
  @Override
  public Future<?> start() {
    return vertx.executeBlocking(() -> {
          Files.createDirectories(config.filesDir());
          return JobSettings.of(config);
        })
        .compose(this::serve)
        .compose(ready -> pauseConfigured())
        .onSuccess(ready -> wake(""));
  }

  private Future<?> serve(JobSettings settings) {
    this.settings = settings;
    // Waits a little past a lease: a claim given up on while it commits would strand its jobs until rescued.
    store = new JobStore(vertx, database.workersPool(vertx), config.leaseMs() + DB_SLACK_MS);
    LimitedClaims limitedClaims = new LimitedClaims(database.workersPool(vertx), config.leaseMs() + DB_SLACK_MS);
    kinds = new KindStore(database.workersPool(vertx), config.leaseMs() + DB_SLACK_MS);
    // Handlers that read the database (users.export) share the API's pool, not the workers' claims.
    Pool handlersPool = database.pool(vertx);
    metrics = new JobMetrics(registry);
    files = new JobFiles(config.filesDir());
    completer = new Completer(vertx, store, settings.owner());
    for (JobPool pool : JobPool.values()) {
      lanes.put(pool, new Lane(pool, vertx, store, limitedClaims, handlersPool, handlers, settings, completer, metrics));
    }
    List<Lane> limitedLanes = lanes.values().stream().filter(Lane::hasConcurrencyLimits).toList();
    if (!limitedLanes.isEmpty()) {
      // A stored outcome frees a slot of a concurrency limit: claim at once rather than at the next poll.
      completer.onWritten(() -> limitedLanes.forEach(Lane::wake));
    }
    consumers.add(vertx.eventBus().<ComputeRequests.Call>consumer(ComputeRequests.CALL,
        message -> lane(message.body().kind()).compute(message)));
    consumers.add(vertx.eventBus().<ComputeRequests.Cancel>consumer(ComputeRequests.CANCEL,
        message -> lanes.values().forEach(lane -> lane.cancelCompute(message.body().id()))));
    consumers.add(vertx.eventBus().<String>consumer(JobRequests.WAKE, message -> wake(message.body())));
    consumers.add(vertx.eventBus().<Long>consumer(JobRequests.CANCEL_RUNNING,
        message -> lanes.values().forEach(lane -> lane.cancelJob(message.body()))));
    timers.add(vertx.setPeriodic(config.pollMs(), t -> wake("")));
    heartbeatTimer = vertx.setPeriodic(config.heartbeatMs(), t -> heartbeat());
    timers.add(vertx.setPeriodic(1, config.rescueIntervalMs(), t -> rescue()));
    timers.add(vertx.setPeriodic(1, Math.max(1000, Math.min(CLEAN_EVERY_MS, config.retentionMs())), t -> clean()));
    timers.add(vertx.setPeriodic(1, DEPTH_EVERY_MS, t -> depth()));
    notifications = new JobNotifications(vertx, database.target());
    notifications.start();
    LOG.info("job workers {} ready: {} cpu, {} blocking; kinds {}", settings.owner(), config.cpuWorkers(),
        config.blockingWorkers(), handlers.names());
    return Future.all(consumers.stream().map(MessageConsumer::completion).toList());
  }

  /**
   * jobs.kinds.&lt;kind&gt;.paused = true pauses the kind for every gather, each time a gather with this config starts
   * (false leaves the stored state alone, so a restart never undoes an operator's pause). Done before the first
   * claim; a database that is down now is retried at the poll interval, its claims failing meanwhile anyway.
   */
  private Future<Void> pauseConfigured() {
    List<String> paused = config.kinds().values().stream().filter(JobKindConfig::paused).map(JobKindConfig::kind)
        .sorted().toList();
    if (paused.isEmpty()) {
      return Future.succeededFuture();
    }
    Future<Void> all = Future.all(paused.stream().map(kinds::pause).toList()).mapEmpty();
    return all.onSuccess(done -> LOG.info("paused job kinds {} (jobs.kinds.<kind>.paused)", paused))
        .recover(e -> {
          LOG.warn("could not pause job kinds {} yet ({}); retrying in {} ms", paused, e.getMessage(), config.pollMs());
          pauseTimer = vertx.setTimer(config.pollMs(), t -> pauseConfigured());
          return Future.succeededFuture();
        });
  }

  private Lane lane(String kind) {
    return lanes.get(handlers.find(kind).orElseThrow().pool());
  }

  /** {@code kind}: the kind a NOTIFY named, or "" when any may be due. */
  private void wake(String kind) {
    if (kind.isEmpty()) {
      lanes.values().forEach(Lane::wake);
    } else {
      handlers.find(kind).ifPresent(handler -> lanes.get(handler.pool()).wake());
    }
  }

  private void heartbeat() {
    List<JobRequests.Lease> held = new ArrayList<>(completer.unwritten());
    lanes.values().forEach(lane -> held.addAll(lane.held()));
    if (held.isEmpty()) {
      return;
    }
    // Progress rides on the renewal: the row is written anyway, so reports cost no write of their own.
    Map<JobRequests.Lease, JobRequests.Reported> reported = new HashMap<>();
    lanes.values().forEach(lane -> lane.progress(reported));
    store.heartbeat(settings.owner(), held, reported, config.leaseMs())
        .onSuccess(renewed -> {
          renewed.cancelRequested().forEach(id -> lanes.values().forEach(lane -> lane.cancelJob(id)));
          Set<JobRequests.Lease> lost = new HashSet<>(held);
          renewed.renewed().forEach(lost::remove);
          // A run that finished between the snapshot and the update is no longer running: not lost. Ask the lanes.
          Set<JobRequests.Lease> stillHeld = new HashSet<>();
          lanes.values().forEach(lane -> stillHeld.addAll(lane.held()));
          lost.retainAll(stillHeld);
          if (!lost.isEmpty()) {
            LOG.warn("lost the lease of jobs {} (this process paused longer than jobs.leaseMs?)", lost);
            lanes.values().forEach(lane -> lane.leaseLost(lost));
          }
        })
        .onFailure(e -> {
          LOG.warn("could not renew the leases of {} jobs: {}", held.size(), e.getMessage());
          lanes.values().forEach(lane -> lane.progressNotWritten(reported));
        });
  }

  private void rescue() {
    store.rescue()
        .onSuccess(rescued -> {
          if (!rescued.requeued().isEmpty() || !rescued.failed().isEmpty()) {
            LOG.warn("rescued jobs whose lease expired: requeued {}, failed (no attempts left) {}",
                rescued.requeued(), rescued.failed());
            metrics.rescued(rescued.requeued().size(), rescued.failed().size());
          }
        })
        .onFailure(e -> LOG.debug("rescue skipped: {}", e.getMessage()));
  }

  private void clean() {
    store.clean(config.retentionMs(), CLEAN_BATCH, this::deleteFiles)
        .onSuccess(deleted -> {
          if (deleted == CLEAN_BATCH) {
            clean(); // more to delete; batches keep each statement short
          }
        })
        .onFailure(e -> LOG.debug("retention clean-up skipped: {}", e.getMessage()));
  }

  /**
   * The files of jobs about to be deleted, on a worker thread (file deletion blocks). One modified after the job
   * naming it finished was written since by a job still running (one name, overwritten run after run) and is kept.
   * One that cannot be deleted is logged and left: its job is deleted all the same, since the table's retention
   * must not wait on a disk problem.
   */
  private Future<Void> deleteFiles(Map<String, Instant> namedUntil) {
    return vertx.executeBlocking(() -> {
      namedUntil.forEach((name, finished) -> {
        try {
          files.deleteIfNotModifiedAfter(name, finished);
        } catch (IOException e) {
          LOG.warn("could not delete the file {} of a job deleted by retention: {}", name, e.toString());
        }
      });
      return null;
    }, false);
  }

  private void depth() {
    store.depth()
        // Kinds come from the table, which SQL (gather_enqueue) may fill with any kind: only the kinds this process
        // runs get a series of their own, the rest count as "other", so the label set stays bounded.
        .onSuccess(rows -> metrics.depth(rows, kind -> handlers.find(kind).isPresent()))
        .onFailure(e -> LOG.debug("queue depth not refreshed: {}", e.getMessage()));
  }

  /**
   * Running jobs get shutdown.drainMs to finish (their leases still renewed meanwhile); their outcomes are written
   * before the pools close.
   */
  @Override
  public Future<?> stop() {
    timers.forEach(vertx::cancelTimer);
    vertx.cancelTimer(pauseTimer);
    return Future.join(consumers.stream().map(MessageConsumer::unregister).toList())
        .transform(ignored -> Future.join(lanes.values().stream().map(lane -> lane.stop(drainMs)).toList()))
        .transform(ignored -> completer.idle())
        // Never past the drain and a little more: what is not written by then is rescued from its lease.
        .timeout(drainMs + STOP_SLACK_MS, TimeUnit.MILLISECONDS)
        .onComplete(done -> vertx.cancelTimer(heartbeatTimer))
        .transform(done -> notifications == null ? Future.succeededFuture() : notifications.close());
  }
}
