package dev.gather.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gather.config.DbConfig;
import dev.gather.config.GatherConfig;
import dev.gather.tls.TestCertificates;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.ClientSSLOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.SslMode;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * db.sslMode and db.tls.* as they reach the pg client's connect options and the migrations' JDBC URL; the
 * handshakes with a real TLS-only server are in {@link DatabaseTlsServerTest}. The files are made at run time.
 */
class DatabaseTlsTest {
  private static final String URL = "postgresql://gather@db.internal:5432/gather";
  @TempDir
  static Path dir;
  private static TestCertificates.Issued ca;
  private static TestCertificates.Issued client;

  @BeforeAll
  static void files() throws Exception {
    TestCertificates authority = TestCertificates.authority(dir, "db-ca");
    ca = authority.ca();
    client = authority.issue("gather-db-client");
  }

  private static DbConfig config(String url, JsonObject db) {
    return GatherConfig.from(new JsonObject().put("db", db.put("url", url))).db();
  }

  private static JsonObject mtls(String sslMode) {
    return new JsonObject().put("sslMode", sslMode).put("tls", new JsonObject()
        .put("caFile", ca.certFile().toString()).put("certFile", client.certFile().toString())
        .put("keyFile", client.keyFile().toString()));
  }

  private static PgConnectOptions options(DbConfig config) {
    return DatabaseTls.apply(PgConnectOptions.fromUri(config.url().orElseThrow()), config);
  }

  private static String abs(Path file) {
    return file.toAbsolutePath().normalize().toString();
  }

  @Test
  void verifyFullCarriesTheModeTheCaTheClientCertificateAndTheHostCheck() {
    PgConnectOptions options = options(config(URL, mtls("verify-full")));
    assertEquals(SslMode.VERIFY_FULL, options.getSslMode());
    ClientSSLOptions ssl = options.getSslOptions();
    assertEquals(List.of(abs(ca.certFile())), ((PemTrustOptions) ssl.getTrustOptions()).getCertPaths());
    PemKeyCertOptions key = (PemKeyCertOptions) ssl.getKeyCertOptions();
    assertEquals(List.of(abs(client.certFile())), key.getCertPaths());
    assertEquals(List.of(abs(client.keyFile())), key.getKeyPaths());
    assertEquals("HTTPS", ssl.getHostnameVerificationAlgorithm(), "verify-full checks the host name");
  }

  @Test
  void verifyCaCarriesTheCaButNoHostCheck() {
    PgConnectOptions options = options(config(URL, new JsonObject().put("sslMode", "verify-ca")
        .put("tls", new JsonObject().put("caFile", ca.certFile().toString()))));
    assertEquals(SslMode.VERIFY_CA, options.getSslMode());
    assertEquals(List.of(abs(ca.certFile())),
        ((PemTrustOptions) options.getSslOptions().getTrustOptions()).getCertPaths());
    assertNull(options.getSslOptions().getKeyCertOptions(), "no client certificate was named");
    String algorithm = options.getSslOptions().getHostnameVerificationAlgorithm();
    assertTrue(algorithm == null || algorithm.isEmpty(), "verify-ca checks the CA only, as libpq does: " + algorithm);
  }

  @Test
  void dbSslModeOverridesTheUrls() {
    PgConnectOptions options = options(config(URL + "?sslmode=disable", new JsonObject().put("sslMode", "require")));
    assertEquals(SslMode.REQUIRE, options.getSslMode());
  }

  @Test
  void withoutDbSslModeTheUrlsStands() {
    PgConnectOptions options = options(config(URL + "?sslmode=require", new JsonObject()));
    assertEquals(SslMode.REQUIRE, options.getSslMode());
    assertNull(options.getSslOptions() == null ? null : options.getSslOptions().getTrustOptions());
  }

  @Test
  void theMigrationsJdbcUrlCarriesTheSameModeAndFilesWithTheKeyAsOwnerOnlyPkcs8Der() throws Exception {
    DbConfig config = config(URL, mtls("verify-full"));
    String parameters = DatabaseTls.jdbcParameters(options(config), config);
    Map<String, String> query = Stream.of(parameters.substring(1).split("&")).map(p -> p.split("=", 2))
        .collect(Collectors.toMap(p -> p[0], p -> URLDecoder.decode(p[1], StandardCharsets.UTF_8)));
    assertEquals("verify-full", query.get("sslmode"));
    assertEquals(abs(ca.certFile()), query.get("sslrootcert"));
    assertEquals(abs(client.certFile()), query.get("sslcert"));
    Path der = Path.of(query.get("sslkey"));
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(der)));
    assertEquals(client.key(), KeyFactory.getInstance("EC")
        .generatePrivate(new PKCS8EncodedKeySpec(Files.readAllBytes(der))));
  }

  @Test
  void theMigrationsJdbcUrlSaysNothingWhenTlsIsOff() {
    DbConfig config = config(URL, new JsonObject());
    assertEquals("", DatabaseTls.jdbcParameters(options(config), config));
  }
}
