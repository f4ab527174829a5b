package dev.gather.db;

import dev.gather.config.DbConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClientOptions;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import java.util.concurrent.TimeUnit;

/**
 * The database as every other verticle reaches it. {@link DatabaseVerticle} owns it: it finds the server (the
 * configured URL, or the embedded one it starts), applies the migrations and says when they are in place. Each
 * verticle then opens the pools in its own {@code start()}: the pools are shared by name (one set of connections
 * for the process), while every query's answer lands on the event loop of the verticle that asked, with no hop
 * over the event bus to a single database loop.
 */
public final class Database {
  private static final String POOL_NAME = "gather-db";
  private static final String WORKERS_POOL_NAME = "gather-db-jobs";
  private static final long HEALTH_TIMEOUT_MS = 1000;

  private final DbConfig config;
  private final int workerConnections;
  private volatile PgConnectOptions target;
  private volatile boolean migrated;

  /** {@code workerConnections}: the size of the job workers' own pool (jobs.dbConnections). */
  public Database(DbConfig config, int workerConnections) {
    this.config = config;
    this.workerConnections = workerConnections;
  }

  void located(PgConnectOptions target) {
    this.target = target;
  }

  void migrated() {
    this.migrated = true;
  }

  /** Where the database is; known once the database verticle has started. */
  public PgConnectOptions target() {
    if (target == null) {
      throw new IllegalStateException("the database verticle has not started yet");
    }
    return target;
  }

  /** The longest a statement may run (db.queryTimeoutMs); PostgreSQL cancels it then, and callers wait no longer. */
  public long queryTimeoutMs() {
    return config.queryTimeoutMs();
  }

  /** The API's pool. Call from the verticle's {@code start()}: the reference is released when it undeploys. */
  public Pool pool(Vertx vertx) {
    return shared(vertx, POOL_NAME, config.poolSize());
  }

  /** Claims, outcomes and heartbeats get connections of their own, so a burst of API calls cannot starve the workers. */
  public Pool workersPool(Vertx vertx) {
    return shared(vertx, WORKERS_POOL_NAME, workerConnections);
  }

  /** Reachable through {@code pool}, and migrated; never fails, the answer says what is wrong. */
  public Future<DbHealth> health(Pool pool) {
    return pool.query("SELECT 1").execute()
        .timeout(HEALTH_TIMEOUT_MS, TimeUnit.MILLISECONDS)
        .map(ok -> new DbHealth(true, migrated, migrated ? "ok" : "migrations not applied yet"))
        .otherwise(e -> new DbHealth(false, migrated, "database unreachable: " + DbFailure.rootMessage(e)));
  }

  private Pool shared(Vertx vertx, String name, int size) {
    return PgBuilder.pool()
        .with(new PoolOptions()
            .setShared(true)
            .setName(name)
            .setMaxSize(size)
            .setMaxWaitQueueSize(config.maxWaitQueue())
            .setConnectionTimeout(config.connectTimeoutMs())
            .setConnectionTimeoutUnit(TimeUnit.MILLISECONDS))
        .with(new NetClientOptions().setConnectTimeout(config.connectTimeoutMs()))
        .connectingTo(target())
        .using(vertx)
        .build();
  }
}
