package dev.gather.db;

import dev.gather.config.DbConfig;
import dev.gather.db.embedded.EmbeddedPostgres;
import dev.gather.jobs.JobNotifications;
import dev.gather.jobs.JobRequests;
import dev.gather.jobs.JobStore;
import dev.gather.users.UserExports;
import dev.gather.users.UserRepository;
import dev.gather.users.UserRequests;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.net.NetClientOptions;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns the PostgreSQL pool (and the embedded server when no URL is configured), applies migrations, and serves
 * queries to the HTTP verticles over the event bus. It starts even when the database is down: readiness says
 * so, and migrations are retried until they succeed, so the service heals without a restart.
 */
public final class DatabaseVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(DatabaseVerticle.class);
  private static final String POOL_NAME = "gather-db";
  private static final String JOBS_POOL_NAME = "gather-db-jobs";
  private static final long HEALTH_TIMEOUT_MS = 1000;
  private static final long MIGRATION_RETRY_MS = 2000;
  private static final long EXPORT_IDLE_TIMEOUT_MS = 30_000;

  private final DbConfig config;
  private final int jobsConnections;
  private final Map<String, String> queries;
  private final MeterRegistry registry;
  private final List<MessageConsumer<?>> consumers = new ArrayList<>();
  private EmbeddedPostgres embedded;
  private Pool pool;
  /** Claims, outcomes and heartbeats get connections of their own, so a burst of API calls cannot starve the workers. */
  private Pool jobsPool;
  private UserExports exports;
  private JobNotifications notifications;
  private volatile boolean migrated;
  private long retryTimer = -1;

  /**
   * {@code queries}: the SQL of each named query that aggregates may run, as config declares it;
   * {@code jobsConnections}: the size of the job workers' own pool (jobs.dbConnections).
   */
  public DatabaseVerticle(DbConfig config, Map<String, String> queries, int jobsConnections, MeterRegistry registry) {
    this.config = config;
    this.jobsConnections = jobsConnections;
    this.queries = Map.copyOf(queries);
    this.registry = registry;
  }

  @Override
  public Future<?> start() {
    return databaseUrl().compose(url -> {
      PgConnectOptions target = connectOptions(url);
      pool = newPool(target, POOL_NAME, config.poolSize());
      jobsPool = newPool(target, JOBS_POOL_NAME, jobsConnections);
      UserRepository users = new UserRepository(pool);
      exports = new UserExports(vertx, pool, EXPORT_IDLE_TIMEOUT_MS, registry);
      NamedQueries named = new NamedQueries(pool, queries);
      JobStore jobs = new JobStore(vertx, pool, jobsPool);
      notifications = new JobNotifications(vertx, target);
      return migrate(target).compose(firstAttempt -> Future.all(List.of(
          serve(DbHealth.ADDRESS, (Object ignored) -> health()),
          serve(UserRequests.GET, users::get),
          serve(UserRequests.LIST, users::list),
          serve(UserRequests.CREATE, users::create),
          serve(UserRequests.UPDATE, users::update),
          serve(UserRequests.DELETE, users::delete),
          serve(UserRequests.EXPORT_OPEN, (Object ignored) -> exports.open()),
          serve(UserRequests.EXPORT_NEXT, exports::next),
          serve(UserRequests.EXPORT_CLOSE, exports::close),
          serve(NamedQuery.ADDRESS, named::run),
          serve(JobRequests.ENQUEUE, jobs::enqueue),
          serve(JobRequests.ENQUEUE_MANY, jobs::enqueueMany),
          serve(JobRequests.GET, jobs::get),
          serve(JobRequests.LIST, jobs::list),
          serve(JobRequests.CANCEL, jobs::cancel),
          serve(JobRequests.CLAIM, jobs::claim),
          serve(JobRequests.FINISH, jobs::finish),
          serve(JobRequests.HEARTBEAT, jobs::heartbeat),
          serve(JobRequests.RESCUE, jobs::rescue),
          serve(JobRequests.CLEAN, jobs::clean),
          serve(JobRequests.DEPTH, jobs::depth))))
          .onSuccess(served -> notifications.start());
    });
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(retryTimer);
    Future<?> closed = Future.join(consumers.stream().map(MessageConsumer::unregister).toList())
        .transform(ignored -> exports == null ? Future.succeededFuture() : exports.closeAll())
        .transform(ignored -> notifications == null ? Future.succeededFuture() : notifications.close())
        .transform(ignored -> pool == null ? Future.succeededFuture() : pool.close())
        .transform(ignored -> jobsPool == null ? Future.succeededFuture() : jobsPool.close());
    return closed.transform(ignored -> embedded == null
        ? Future.succeededFuture()
        : vertx.executeBlocking(() -> {
          embedded.close();
          return null;
        }));
  }

  private Pool newPool(PgConnectOptions target, String name, int size) {
    return PgBuilder.pool()
        .with(new PoolOptions()
            .setName(name)
            .setMaxSize(size)
            .setMaxWaitQueueSize(config.maxWaitQueue())
            .setConnectionTimeout(config.connectTimeoutMs())
            .setConnectionTimeoutUnit(TimeUnit.MILLISECONDS))
        .with(new NetClientOptions().setConnectTimeout(config.connectTimeoutMs()))
        .connectingTo(target)
        .using(vertx)
        .build();
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
    return options;
  }

  /**
   * Completes after the first attempt either way, so that a normal start logs "ready" only once the schema is
   * in place, while a database that is down does not stop the start: the attempt repeats in the background.
   */
  private Future<Void> migrate(PgConnectOptions target) {
    return vertx.executeBlocking(() -> Migrations.apply(target, config.connectTimeoutMs()), false)
        .onSuccess(result -> {
          migrated = true;
          LOG.info("database schema at version {} ({} migrations applied now) on {}",
              result.targetSchemaVersion == null ? "current" : result.targetSchemaVersion,
              result.migrationsExecuted, target.getHost() + ":" + target.getPort() + "/" + target.getDatabase());
        })
        .<Void>mapEmpty()
        .recover(e -> {
          LOG.warn("migrations not applied yet ({}); retrying in {} ms", rootMessage(e), MIGRATION_RETRY_MS);
          retryTimer = vertx.setTimer(MIGRATION_RETRY_MS, t -> migrate(target));
          return Future.succeededFuture();
        });
  }

  private Future<DbHealth> health() {
    return pool.query("SELECT 1").execute()
        .timeout(HEALTH_TIMEOUT_MS, TimeUnit.MILLISECONDS)
        .map(ok -> new DbHealth(true, migrated, migrated ? "ok" : "migrations not applied yet"))
        .recover(e -> Future.succeededFuture(new DbHealth(false, migrated, "database unreachable: " + rootMessage(e))));
  }

  /** Answers requests on {@code address} with {@code handler}; failures become status-coded replies. */
  private <T, R> Future<Void> serve(String address, Function<T, Future<R>> handler) {
    MessageConsumer<T> consumer = vertx.eventBus().consumer(address, message -> applySafely(handler, message.body())
        .onSuccess(message::reply)
        .onFailure(e -> {
          ReplyException failure = DbFailure.classify(e);
          if (failure.failureCode() >= DbFailure.INTERNAL && failure.failureCode() != DbFailure.UNAVAILABLE) {
            LOG.error("{} failed", address, e);
          }
          message.fail(failure.failureCode(), failure.getMessage());
        }));
    consumers.add(consumer);
    return consumer.completion();
  }

  /** A handler that throws instead of failing its future still gets an answer sent, not a caller left waiting. */
  private static <T, R> Future<R> applySafely(Function<T, Future<R>> handler, T body) {
    try {
      return handler.apply(body);
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  private static String rootMessage(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
  }
}
