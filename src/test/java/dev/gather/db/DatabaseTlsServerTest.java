package dev.gather.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gather.Await;
import dev.gather.RunningGather;
import dev.gather.config.GatherConfig;
import dev.gather.db.embedded.EmbeddedPostgres;
import dev.gather.tls.TestCertificates;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgConnection;
import io.vertx.sqlclient.Row;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * db.sslMode and db.tls.* against a real PostgreSQL that speaks only TLS and asks for a client certificate: the
 * embedded server, given a certificate from a CA made here at run time and a pg_hba.conf that rejects plain
 * connections. Both of gather's ways in are shown: the pg client of the pool and Flyway's JDBC for the migrations.
 */
class DatabaseTlsServerTest {
  @TempDir
  static Path dir;
  private static EmbeddedPostgres server;
  private static TestCertificates.Issued ca;
  private static TestCertificates.Issued client;
  private static TestCertificates.Issued strangerCa;
  private static Vertx vertx;

  @BeforeAll
  static void tlsOnlyServer() throws Exception {
    Path data = dir.resolve("data");
    server = EmbeddedPostgres.start(data, 0);
    TestCertificates authority = TestCertificates.authority(dir, "db-ca");
    ca = authority.ca();
    TestCertificates.Issued serverCert = authority.issue("127.0.0.1", TestCertificates.ip("127.0.0.1"));
    client = authority.issue("postgres");
    strangerCa = TestCertificates.authority(Files.createDirectories(dir.resolve("stranger")), "stranger-ca").ca();

    // The server reads its files as the user it runs as, and its key only when no one else may.
    Object owner = Files.getAttribute(data, "unix:uid", LinkOption.NOFOLLOW_LINKS);
    Object group = Files.getAttribute(data, "unix:gid", LinkOption.NOFOLLOW_LINKS);
    for (var file : new Path[][] {{serverCert.certFile(), data.resolve("server.crt")},
        {serverCert.keyFile(), data.resolve("server.key")}, {ca.certFile(), data.resolve("root.crt")}}) {
      Files.copy(file[0], file[1], StandardCopyOption.REPLACE_EXISTING);
      Files.setPosixFilePermissions(file[1], PosixFilePermissions.fromString("rw-------"));
      Files.setAttribute(file[1], "unix:uid", owner, LinkOption.NOFOLLOW_LINKS);
      Files.setAttribute(file[1], "unix:gid", group, LinkOption.NOFOLLOW_LINKS);
    }
    Files.writeString(data.resolve("pg_hba.conf"), """
        hostssl all all 127.0.0.1/32 trust clientcert=verify-ca
        host    all all 127.0.0.1/32 reject
        """);
    try (Connection admin = DriverManager.getConnection(
            "jdbc:postgresql://127.0.0.1:" + server.port() + "/postgres", "postgres", "");
        Statement sql = admin.createStatement()) {
      sql.execute("ALTER SYSTEM SET ssl = on");
      sql.execute("ALTER SYSTEM SET ssl_cert_file = 'server.crt'");
      sql.execute("ALTER SYSTEM SET ssl_key_file = 'server.key'");
      sql.execute("ALTER SYSTEM SET ssl_ca_file = 'root.crt'");
      sql.execute("SELECT pg_reload_conf()");
    }
    vertx = Vertx.vertx();
    // A reload is a signal: wait until a plain connection is refused, which means the new pg_hba.conf is read.
    Await.value("the server to refuse plain connections", Duration.ofSeconds(20),
        () -> connect(new JsonObject()).map(c -> "connected").recover(e -> io.vertx.core.Future.succeededFuture(
            String.valueOf(e.getMessage()))).await(10, TimeUnit.SECONDS),
        message -> message.contains("no encryption"));
  }

  @AfterAll
  static void stop() throws Exception {
    if (vertx != null) {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
    if (server != null) {
      server.close();
    }
  }

  private static JsonObject tls(String sslMode, TestCertificates.Issued trusted, boolean clientCertificate) {
    JsonObject files = new JsonObject().put("caFile", trusted.certFile().toString());
    if (clientCertificate) {
      files.put("certFile", client.certFile().toString()).put("keyFile", client.keyFile().toString());
    }
    return new JsonObject().put("sslMode", sslMode).put("tls", files);
  }

  /** One connection with the pool's own options (db.* applied by {@link DatabaseTls}). */
  private static io.vertx.core.Future<PgConnection> connect(JsonObject db) {
    var config = GatherConfig.from(new JsonObject().put("db", db.copy().put("url", server.url()))).db();
    PgConnectOptions options = DatabaseTls.apply(PgConnectOptions.fromUri(server.url()), config);
    // A refused handshake ends the attempt; the timeout only guards the test against a server that says nothing.
    return PgConnection.connect(vertx, options).timeout(10, TimeUnit.SECONDS);
  }

  private static String refusal(JsonObject db) throws Exception {
    Throwable failure = connect(db).map(c -> (Throwable) null)
        .otherwise(e -> e).await(15, TimeUnit.SECONDS);
    assertTrue(failure != null, "the connection should have been refused");
    StringBuilder messages = new StringBuilder();
    for (Throwable e = failure; e != null; e = e.getCause()) {
      messages.append(e.getClass().getSimpleName()).append(": ").append(e.getMessage()).append(" / ");
    }
    return messages.toString();
  }

  @Test
  void gatherMigratesAndQueriesOverTlsWithItsCaAndClientCertificate() throws Exception {
    JsonObject overrides = new JsonObject()
        .put("db", tls("verify-full", ca, true))
        .put("queries", new JsonObject().put("tls", "SELECT ssl, client_dn FROM pg_stat_ssl WHERE pid = pg_backend_pid()"))
        .put("aggregates", new JsonObject().put("tls", new JsonObject().put("path", "/aggregate/tls")
            .put("sources", new JsonObject().put("connection", new JsonObject().put("query", "tls")))));
    try (RunningGather app = RunningGather.startOn(server.url(), overrides)) { // the migrations ran over JDBC and TLS
      HttpResponse<io.vertx.core.buffer.Buffer> response = app.client.get("/aggregate/tls").send()
          .await(15, TimeUnit.SECONDS);
      assertEquals(200, response.statusCode(), response.bodyAsString());
      JsonArray rows = response.bodyAsJsonObject().getJsonObject("data").getJsonArray("connection");
      assertEquals(true, rows.getJsonObject(0).getBoolean("ssl"), response.bodyAsString());
      assertEquals("/CN=postgres", rows.getJsonObject(0).getString("client_dn"), "the pool presented the client certificate");
    }
  }

  @Test
  void theRightFilesGiveAnEncryptedConnectionInEveryVerifyingMode() throws Exception {
    for (String mode : new String[] {"require", "verify-ca", "verify-full"}) {
      Row row = connect(tls(mode, ca, true))
          .compose(c -> c.query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").execute()
              .eventually(() -> c.close()))
          .await(15, TimeUnit.SECONDS).iterator().next();
      assertEquals(true, row.getBoolean("ssl"), mode);
    }
  }

  @Test
  void aServerCertificateFromAnotherCaIsRefused() throws Exception {
    String why = refusal(tls("verify-full", strangerCa, true));
    // The pg client says no more than this (no cause); the migrations' JDBC driver, which connects first at start,
    // names the PKIX path failure.
    assertTrue(why.contains("SSL handshake failed"), why);
  }

  @Test
  void withoutAClientCertificateTheServerRefuses() throws Exception {
    String why = refusal(tls("verify-full", ca, false));
    assertTrue(why.contains("certificate"), why);
  }

  @Test
  void aPlainConnectionIsRefusedByAServerThatSpeaksOnlyTls() throws Exception {
    String why = refusal(new JsonObject().put("sslMode", "disable"));
    assertTrue(why.contains("no encryption"), why);
  }
}
