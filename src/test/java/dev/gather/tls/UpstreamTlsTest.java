package dev.gather.tls;

import static dev.gather.tls.TestCertificates.dns;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gather.RunningGather;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.ext.web.client.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * An HTTPS upstream on loopback that requires a client certificate signed by its CA, all generated at run time;
 * gather's upstreams reach it with the right files, or fail with a kind that says what is wrong.
 */
class UpstreamTlsTest {
  private static Vertx upstreamVertx;
  private static HttpServer upstream;
  private static RunningGather app;
  private static Path dir;

  @BeforeAll
  static void start() throws Exception {
    dir = Files.createTempDirectory("gather-tls");
    TestCertificates ca = TestCertificates.authority(dir, "private-ca");
    TestCertificates.Issued server = ca.issue("users.internal", dns("users.internal"), dns("localhost"));
    TestCertificates.Issued client = ca.issue("gather-client");
    TestCertificates stranger = TestCertificates.authority(dir, "other-ca");
    Instant now = Instant.now();
    TestCertificates.Issued expired = ca.issue("expired.internal", now.minus(30, ChronoUnit.DAYS),
        now.minus(1, ChronoUnit.DAYS), dns("localhost"));
    TestCertificates.Issued notYetValid = ca.issue("early.internal", now.plus(1, ChronoUnit.DAYS),
        now.plus(30, ChronoUnit.DAYS), dns("localhost"));

    upstreamVertx = Vertx.vertx();
    upstream = upstreamVertx.createHttpServer(new HttpServerOptions()
            .setSsl(true)
            .setKeyCertOptions(new PemKeyCertOptions().setCertPath(server.certFile().toString())
                .setKeyPath(server.keyFile().toString()))
            .setTrustOptions(new PemTrustOptions().addCertPath(ca.ca().certFile().toString()))
            .setClientAuth(ClientAuth.REQUIRED))
        .requestHandler(request -> request.response().putHeader("Content-Type", "application/json")
            .end(new JsonObject().put("host", request.authority().host())
                .put("client", request.isSSL() && request.sslSession() != null ? "certified" : null).encode()))
        .listen(0, "127.0.0.1").await(5, TimeUnit.SECONDS);
    int port = upstream.actualPort();
    int expiredPort = serving(expired);
    int notYetValidPort = serving(notYetValid);

    JsonObject mtls = tls(ca.ca().certFile(), client);
    app = RunningGather.start(new JsonObject()
        .put("upstreams", new JsonObject()
            .put("good", new JsonObject().put("url", "https://localhost:" + port).put("tls", mtls))
            .put("byAddress", new JsonObject().put("url", "https://127.0.0.1:" + port)
                .put("tls", mtls.copy().put("serverName", "users.internal")))
            .put("unknownCa", new JsonObject().put("url", "https://localhost:" + port)
                .put("tls", tls(stranger.ca().certFile(), client)))
            .put("wrongHost", new JsonObject().put("url", "https://127.0.0.1:" + port).put("tls", mtls))
            .put("noClientCert", new JsonObject().put("url", "https://localhost:" + port)
                .put("tls", new JsonObject().put("caFile", ca.ca().certFile().toString())))
            .put("expired", new JsonObject().put("url", "https://localhost:" + expiredPort)
                .put("tls", new JsonObject().put("caFile", ca.ca().certFile().toString())))
            .put("notYetValid", new JsonObject().put("url", "https://localhost:" + notYetValidPort)
                .put("tls", new JsonObject().put("caFile", ca.ca().certFile().toString()))))
        .put("aggregates", new JsonObject()
            .put("good", aggregate("good"))
            .put("byAddress", aggregate("byAddress"))
            .put("unknownCa", aggregate("unknownCa"))
            .put("wrongHost", aggregate("wrongHost"))
            .put("noClientCert", aggregate("noClientCert"))
            .put("expired", aggregate("expired"))
            .put("notYetValid", aggregate("notYetValid"))));
  }

  /** An HTTPS upstream on loopback that shows {@code certificate} and asks for no client certificate. */
  private static int serving(TestCertificates.Issued certificate) throws Exception {
    return upstreamVertx.createHttpServer(new HttpServerOptions()
            .setSsl(true)
            .setKeyCertOptions(new PemKeyCertOptions().setCertPath(certificate.certFile().toString())
                .setKeyPath(certificate.keyFile().toString())))
        .requestHandler(request -> request.response().putHeader("Content-Type", "application/json").end("{}"))
        .listen(0, "127.0.0.1").await(5, TimeUnit.SECONDS).actualPort();
  }

  private static JsonObject tls(Path caFile, TestCertificates.Issued client) {
    return new JsonObject().put("caFile", caFile.toString()).put("certFile", client.certFile().toString())
        .put("keyFile", client.keyFile().toString());
  }

  private static JsonObject aggregate(String upstream) {
    return new JsonObject().put("deadlineMs", 5000).put("sources", new JsonObject()
        .put("call", new JsonObject().put("upstream", upstream).put("path", "/users/1")));
  }

  @AfterAll
  static void stop() throws Exception {
    app.close();
    upstreamVertx.close().await(10, TimeUnit.SECONDS);
  }

  private static JsonObject body(String aggregate) throws Exception {
    HttpResponse<Buffer> response = app.client.get("/aggregate/" + aggregate).send().await(10, TimeUnit.SECONDS);
    assertEquals(200, response.statusCode(), response.bodyAsString());
    return response.bodyAsJsonObject();
  }

  private static JsonObject error(String aggregate) throws Exception {
    JsonObject body = body(aggregate);
    JsonObject errors = body.getJsonObject("errors");
    assertTrue(errors != null && errors.containsKey("call"), body.encode());
    return errors.getJsonObject("call");
  }

  @Test
  void thePrivateCaAndTheClientCertificateReachAnUpstreamThatRequiresThem() throws Exception {
    JsonObject data = body("good").getJsonObject("data").getJsonObject("call");
    assertEquals("certified", data.getString("client"));
  }

  @Test
  void serverNameIsCheckedInTheCertificateWhenTheUrlNamesAnAddress() throws Exception {
    JsonObject data = body("byAddress").getJsonObject("data").getJsonObject("call");
    assertEquals("users.internal", data.getString("host"), "the name is sent as the Host as well");
  }

  @Test
  void aCertificateFromAnUntrustedCaFailsAsTlsUnknownCa() throws Exception {
    JsonObject error = error("unknownCa");
    assertEquals("tls_unknown_ca", error.getString("kind"), error.encode());
  }

  @Test
  void aCertificateThatDoesNotNameTheHostFailsAsTlsWrongHost() throws Exception {
    JsonObject error = error("wrongHost");
    assertEquals("tls_wrong_host", error.getString("kind"), error.encode());
  }

  @Test
  void noClientCertificateForAnUpstreamThatRequiresOneFailsAsTlsClientCertificate() throws Exception {
    JsonObject error = error("noClientCert");
    assertEquals("tls_client_certificate", error.getString("kind"), error.encode());
  }

  @Test
  void anExpiredServerCertificateFailsAsTlsExpired() throws Exception {
    JsonObject error = error("expired");
    assertEquals("tls_expired", error.getString("kind"), error.encode());
    assertTrue(error.getString("detail").contains("renew it"), error.encode());
  }

  @Test
  void aServerCertificateNotValidYetFailsAsTlsExpired() throws Exception {
    JsonObject error = error("notYetValid");
    assertEquals("tls_expired", error.getString("kind"), error.encode());
  }
}
