package dev.gather.db;

import dev.gather.config.DbConfig;
import dev.gather.db.embedded.EmbeddedPostgres;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.pgclient.PgConnectOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns the database: finds it (or runs the embedded server when no URL is configured), applies migrations, and
 * tells the {@link Database} handle, through which the other verticles open their pools and check health. It
 * serves no queries itself. It starts even when the database is down: readiness says so, and migrations are
 * retried until they succeed, so the service heals without a restart.
 */
public final class DatabaseVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(DatabaseVerticle.class);
  private static final long MIGRATION_RETRY_MS = 2000;

  private final Database database;
  private final DbConfig config;
  private EmbeddedPostgres embedded;
  private long retryTimer = -1;

  public DatabaseVerticle(Database database, DbConfig config) {
    this.database = database;
    this.config = config;
  }

  @Override
  public Future<?> start() {
    return databaseUrl().compose(url -> {
      PgConnectOptions target = connectOptions(url);
      database.located(target);
      return migrate(target);
    });
  }

  /** Runs last, after every verticle that opened the pools has released them. */
  @Override
  public Future<?> stop() {
    vertx.cancelTimer(retryTimer);
    return embedded == null
        ? Future.succeededFuture()
        : vertx.executeBlocking(() -> {
          embedded.close();
          return null;
        });
  }

  private Future<String> databaseUrl() {
    if (config.url().isPresent()) {
      return Future.succeededFuture(config.url().get());
    }
    return vertx.executeBlocking(() -> {
      embedded = EmbeddedPostgres.start(config.embedded().dataDir(), config.embedded().port());
      LOG.info("embedded PostgreSQL ready at {} (data in {})", embedded.url(), config.embedded().dataDir());
      return embedded.url();
    });
  }

  private PgConnectOptions connectOptions(String url) {
    PgConnectOptions options = PgConnectOptions.fromUri(url);
    options.setCachePreparedStatements(config.preparedStatementCacheMaxSize() > 0)
        .setPreparedStatementCacheMaxSize(Math.max(1, config.preparedStatementCacheMaxSize()))
        .addProperty("statement_timeout", String.valueOf(config.queryTimeoutMs()))
        .addProperty("application_name", "gather");
    return DatabaseTls.apply(options, config);
  }

  /**
   * Completes after the first attempt either way, so that a normal start logs "ready" only once the schema is
   * in place, while a database that is down does not stop the start: the attempt repeats in the background.
   */
  private Future<Void> migrate(PgConnectOptions target) {
    return vertx.executeBlocking(() -> Migrations.apply(target, config), false)
        .onSuccess(result -> {
          database.migrated();
          LOG.info("database schema at version {} ({} migrations applied now) on {}",
              result.targetSchemaVersion == null ? "current" : result.targetSchemaVersion,
              result.migrationsExecuted, target.getHost() + ":" + target.getPort() + "/" + target.getDatabase());
        })
        .<Void>mapEmpty()
        .recover(e -> {
          LOG.warn("migrations not applied yet ({}); retrying in {} ms", DbFailure.rootMessage(e), MIGRATION_RETRY_MS);
          retryTimer = vertx.setTimer(MIGRATION_RETRY_MS, t -> migrate(target));
          return Future.succeededFuture();
        });
  }
}
