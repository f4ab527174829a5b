package dev.gather.jobs.schedule;

import dev.gather.config.JobsConfig;
import dev.gather.db.Database;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import java.time.Clock;

/**
 * The {@link Scheduler} of this process, deployed as a worker (its cron arithmetic stays off the event loops), over
 * the job workers' pool (enqueuing scheduled jobs is upkeep of the queue, like rescuing). Deployed with the job verticles and stopped before them, so no
 * tick is enqueued into a queue that is shutting down.
 */
public final class ScheduleVerticle extends VerticleBase {
  private final JobsConfig config;
  private final Database database;
  private Scheduler scheduler;

  public ScheduleVerticle(JobsConfig config, Database database) {
    this.config = config;
    this.database = database;
  }

  @Override
  public Future<?> start() {
    ScheduleStore store = new ScheduleStore(database.workersPool(vertx), database.queryTimeoutMs());
    scheduler = new Scheduler(vertx, store, config, Clock.systemUTC());
    return scheduler.start();
  }

  @Override
  public Future<?> stop() {
    scheduler.stop();
    return Future.succeededFuture();
  }
}
