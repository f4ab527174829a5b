package dev.gather.db;

import dev.gather.config.DbConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClientOptions;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.SqlClient;
import java.util.concurrent.TimeUnit;

/**
 * The database as every other verticle reaches it. {@link DatabaseVerticle} owns it: it finds the server (the
 * configured URL, or the embedded one it starts), applies the migrations and says when they are in place. Each
 * verticle then opens what it needs in its own {@code start()}, so every answer lands on the event loop of the
 * verticle that asked, with no hop over the event bus to a single database loop:
 * <ul>
 *   <li>{@link #client}: single statements (the users store, the job API, named queries, health) over a pooled
 *   client of the verticle's own: its connections live on the verticle's event loop and pipeline statements.
 *   Measured against a shared pool for {@code GET /users/{id}}: about half the CPU per request;</li>
 *   <li>{@link #pool} and {@link #workersPool}: pools shared by name across verticles, for what needs a
 *   connection of its own (export cursors in a transaction, a query's parameter description, job handlers) and
 *   for the job workers' claims and outcomes.</li>
 * </ul>
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

  /**
   * This verticle's own pooled client, with its share ({@code 1/sharedBy}) of db.poolSize. Call from the
   * verticle's {@code start()}: it is closed when the verticle undeploys. No transactions or cursors on it.
   */
  public SqlClient client(Vertx vertx, int sharedBy) {
    return PgBuilder.client()
        .with(poolOptions(Math.max(1, (config.poolSize() + sharedBy - 1) / sharedBy)))
        .with(new NetClientOptions().setConnectTimeout(config.connectTimeoutMs()))
        .connectingTo(target())
        .using(vertx)
        .build();
  }

  /**
   * The pool shared by the verticles for connections of their own (cursors, transactions). Call from the
   * verticle's {@code start()}: its reference is released when it undeploys, the pool when the last one goes.
   */
  public Pool pool(Vertx vertx) {
    return shared(vertx, POOL_NAME, config.poolSize());
  }

  /** Claims, outcomes and heartbeats get connections of their own, so a burst of API calls cannot starve the workers. */
  public Pool workersPool(Vertx vertx) {
    return shared(vertx, WORKERS_POOL_NAME, workerConnections);
  }

  /** Reachable through {@code client}, and migrated; never fails, the answer says what is wrong. */
  public Future<DbHealth> health(SqlClient client) {
    return client.query("SELECT 1").execute()
        .timeout(HEALTH_TIMEOUT_MS, TimeUnit.MILLISECONDS)
        .map(ok -> new DbHealth(true, migrated, migrated ? "ok" : "migrations not applied yet"))
        .otherwise(e -> new DbHealth(false, migrated, "database unreachable: " + DbFailure.rootMessage(e)));
  }

  private Pool shared(Vertx vertx, String name, int size) {
    return PgBuilder.pool()
        .with(poolOptions(size).setShared(true).setName(name))
        .with(new NetClientOptions().setConnectTimeout(config.connectTimeoutMs()))
        .connectingTo(target())
        .using(vertx)
        .build();
  }

  private PoolOptions poolOptions(int size) {
    return new PoolOptions()
        .setMaxSize(size)
        .setMaxWaitQueueSize(config.maxWaitQueue())
        .setConnectionTimeout(config.connectTimeoutMs())
        .setConnectionTimeoutUnit(TimeUnit.MILLISECONDS);
  }
}
