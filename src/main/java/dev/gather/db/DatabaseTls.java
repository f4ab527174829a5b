package dev.gather.db;

import dev.gather.config.DbConfig;
import dev.gather.config.TlsConfig;
import io.vertx.core.net.ClientSSLOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.SslMode;

/** db.sslMode and db.tls.* applied to the connection options (the files were checked when the config was read). */
public final class DatabaseTls {
  private DatabaseTls() {}

  /** Sets the sslmode (db.sslMode over the URL's) and, when files are named, the trust and client certificate. */
  public static PgConnectOptions apply(PgConnectOptions options, DbConfig config) {
    config.sslMode().ifPresent(mode -> options.setSslMode(SslMode.of(mode)));
    TlsConfig tls = config.tls();
    if (tls.configured()) {
      ClientSSLOptions ssl = options.getSslOptions() == null ? new ClientSSLOptions() : options.getSslOptions();
      tls.caFile().ifPresent(ca -> ssl.setTrustOptions(new PemTrustOptions().addCertPath(ca.toString())));
      if (tls.clientCertificate()) {
        ssl.setKeyCertOptions(new PemKeyCertOptions()
            .setCertPath(tls.certFile().orElseThrow().toString())
            .setKeyPath(tls.keyFile().orElseThrow().toString()));
      }
      options.setSslOptions(ssl);
    }
    // The pg client checks the host name for verify-full only; say so on the options, so no mode checks more
    // or less than PostgreSQL's own libpq would.
    if (options.getSslMode() == SslMode.VERIFY_FULL) {
      ClientSSLOptions ssl = options.getSslOptions() == null ? new ClientSSLOptions() : options.getSslOptions();
      options.setSslOptions(ssl.setHostnameVerificationAlgorithm("HTTPS"));
    }
    return options;
  }

  /**
   * The same settings as pgjdbc URL parameters, for the migrations (Flyway speaks JDBC): "&sslmode=...". pgjdbc
   * reads the CA and certificate as PEM but a private key only as PKCS#8 DER or PKCS#12, so the PEM key is
   * written once as DER to an owner-only temporary file.
   */
  static String jdbcParameters(PgConnectOptions options, DbConfig config) {
    StringBuilder url = new StringBuilder();
    SslMode mode = options.getSslMode();
    if (mode != null && mode != SslMode.DISABLE) {
      url.append("&sslmode=").append(mode.value);
    } else {
      return "";
    }
    TlsConfig tls = config.tls();
    tls.caFile().ifPresent(ca -> url.append("&sslrootcert=").append(encode(ca.toString())));
    if (tls.clientCertificate()) {
      url.append("&sslcert=").append(encode(tls.certFile().orElseThrow().toString()))
          .append("&sslkey=").append(encode(derKey(tls.keyFile().orElseThrow()).toString()));
    }
    return url.toString();
  }

  private static java.nio.file.Path derKey(java.nio.file.Path pem) {
    try {
      String text = java.nio.file.Files.readString(pem);
      String base64 = text.replaceAll("(?s).*-----BEGIN PRIVATE KEY-----(.*)-----END PRIVATE KEY-----.*", "$1");
      if (base64.equals(text)) {
        throw new IllegalStateException(pem + ": the migrations' JDBC driver needs a PKCS#8 key (-----BEGIN PRIVATE "
            + "KEY-----); convert it with openssl pkcs8 -topk8 -nocrypt");
      }
      java.nio.file.Path der = java.nio.file.Files.createTempFile("gather-db-key", ".pk8",
          java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
              java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
      der.toFile().deleteOnExit();
      java.nio.file.Files.write(der, java.util.Base64.getMimeDecoder().decode(base64));
      return der;
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static String encode(String value) {
    return java.net.URLEncoder.encode(value, java.nio.charset.StandardCharsets.UTF_8);
  }
}
