package dev.gather;

import dev.gather.db.embedded.EmbeddedPostgres;
import io.vertx.pgclient.PgConnectOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.postgresql.PostgreSQLContainer;

/**
 * The real PostgreSQL every test talks to: {@code GATHER_TEST_DB_URL} if set, else a Testcontainers
 * PostgreSQL when a Docker engine answers, else an embedded PostgreSQL. Each call of {@link #fresh()} creates
 * a new empty database on that server, so test classes and test runs never see each other's rows.
 */
public final class TestDatabase {
  public static final String URL_VARIABLE = "GATHER_TEST_DB_URL";
  private static PgConnectOptions server;
  private static final List<String> CREATED = new ArrayList<>();

  private TestDatabase() {}

  /** A URL (postgresql://...) of a new, empty database. */
  public static synchronized String fresh() {
    PgConnectOptions admin = server();
    String name = "gather_test_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
    execute(admin, "CREATE DATABASE " + name);
    CREATED.add(name);
    return url(admin, name);
  }

  /** The server's admin connection, for tests that need to reach around gather (e.g. to bulk-insert rows). */
  public static synchronized PgConnectOptions server() {
    if (server == null) {
      server = startServer();
      Runtime.getRuntime().addShutdownHook(new Thread(TestDatabase::dropAll));
    }
    return server;
  }

  public static void execute(PgConnectOptions target, String sql) {
    try (Connection connection = DriverManager.getConnection(jdbcUrl(target), target.getUser(), target.getPassword());
        Statement statement = connection.createStatement()) {
      statement.execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException("test database statement failed: " + sql, e);
    }
  }

  /**
   * A JDBC connection to the database at {@code url} (postgresql://...), as an application that shares gather's
   * database would open one; the caller closes it.
   */
  public static Connection connect(String url) throws SQLException {
    PgConnectOptions target = PgConnectOptions.fromUri(url);
    return DriverManager.getConnection(jdbcUrl(target), target.getUser(), target.getPassword());
  }

  private static PgConnectOptions startServer() {
    String fromEnv = System.getenv(URL_VARIABLE);
    if (fromEnv != null && !fromEnv.isBlank()) {
      return PgConnectOptions.fromUri(fromEnv);
    }
    if (dockerAvailable()) {
      PostgreSQLContainer container = new PostgreSQLContainer("postgres:16-alpine");
      container.start();
      return new PgConnectOptions().setHost(container.getHost()).setPort(container.getMappedPort(5432))
          .setUser(container.getUsername()).setPassword(container.getPassword()).setDatabase(container.getDatabaseName());
    }
    try {
      Path dir = Files.createTempDirectory("gather-test-pg");
      EmbeddedPostgres embedded = EmbeddedPostgres.start(dir.resolve("data"), 0);
      Runtime.getRuntime().addShutdownHook(new Thread(embedded::close));
      return PgConnectOptions.fromUri(embedded.url());
    } catch (java.io.IOException e) {
      throw new IllegalStateException("no " + URL_VARIABLE + ", no Docker, and the embedded PostgreSQL failed", e);
    }
  }

  private static boolean dockerAvailable() {
    try {
      return DockerClientFactory.instance().isDockerAvailable();
    } catch (RuntimeException | LinkageError e) {
      return false;
    }
  }

  private static void dropAll() {
    for (String name : CREATED) {
      try {
        execute(server, "DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
      } catch (RuntimeException e) {
        // the server may already be gone at JVM exit; an orphaned test database is harmless
      }
    }
  }

  private static String url(PgConnectOptions admin, String database) {
    String credentials = admin.getUser() + (admin.getPassword() == null || admin.getPassword().isEmpty()
        ? "" : ":" + admin.getPassword());
    return "postgresql://" + credentials + "@" + admin.getHost() + ":" + admin.getPort() + "/" + database;
  }

  public static String jdbcUrl(PgConnectOptions target) {
    return "jdbc:postgresql://" + target.getHost() + ":" + target.getPort() + "/" + target.getDatabase();
  }
}
