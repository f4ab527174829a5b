package dev.gather.db;

import dev.gather.config.DbConfig;
import io.vertx.pgclient.PgConnectOptions;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;

/** Applies the SQL files under {@code db/migration} with Flyway. Blocking: callers run it on a worker thread. */
final class Migrations {
  private static final String LOCATION = "classpath:db/migration";

  private Migrations() {}

  static MigrateResult apply(PgConnectOptions target, DbConfig config) {
    String url = "jdbc:postgresql://" + target.getHost() + ":" + target.getPort() + "/" + target.getDatabase()
        + "?connectTimeout=" + Math.max(1, config.connectTimeoutMs() / 1000) + DatabaseTls.jdbcParameters(target, config);
    return Flyway.configure()
        .dataSource(url, target.getUser(), target.getPassword())
        .locations(LOCATION)
        // Several replicas may start together; Flyway's lock lets one migrate while the others wait.
        .lockRetryCount(120)
        .load()
        .migrate();
  }
}
