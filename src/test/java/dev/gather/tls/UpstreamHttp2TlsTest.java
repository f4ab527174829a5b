package dev.gather.tls;

import static dev.gather.tls.TestCertificates.dns;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gather.RunningGather;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.ext.web.client.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code protocol: http2} over TLS against real HTTPS servers on loopback whose certificates a private CA made at
 * run time (trusted through {@code tls.caFile}): HTTP/2 is chosen by ALPN where the server offers it, and a server
 * that offers only HTTP/1.1 is still reached, over HTTP/1.1.
 */
class UpstreamHttp2TlsTest {
  private static Vertx upstreamVertx;
  private static HttpServer h2;
  private static HttpServer http11Only;
  private static RunningGather app;
  private static final List<HttpVersion> h2Saw = new CopyOnWriteArrayList<>();
  private static final List<HttpVersion> http11OnlySaw = new CopyOnWriteArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    Path dir = Files.createTempDirectory("gather-h2-tls");
    TestCertificates ca = TestCertificates.authority(dir, "private-ca");
    TestCertificates.Issued server = ca.issue("localhost", dns("localhost"));
    PemKeyCertOptions serverCert = new PemKeyCertOptions().setCertPath(server.certFile().toString())
        .setKeyPath(server.keyFile().toString());

    upstreamVertx = Vertx.vertx();
    h2 = upstreamVertx.createHttpServer(new HttpServerOptions().setSsl(true).setKeyCertOptions(serverCert)
            .setUseAlpn(true).setAlpnVersions(List.of(HttpVersion.HTTP_2, HttpVersion.HTTP_1_1)))
        .requestHandler(request -> {
          h2Saw.add(request.version());
          request.response().putHeader("Content-Type", "application/json")
              .end(new JsonObject().put("version", request.version().name()).encode());
        })
        .listen(0, "127.0.0.1").await(5, TimeUnit.SECONDS);
    http11Only = upstreamVertx.createHttpServer(new HttpServerOptions().setSsl(true).setKeyCertOptions(serverCert)
            .setUseAlpn(true).setAlpnVersions(List.of(HttpVersion.HTTP_1_1)))
        .requestHandler(request -> {
          http11OnlySaw.add(request.version());
          request.response().putHeader("Content-Type", "application/json")
              .end(new JsonObject().put("version", request.version().name()).encode());
        })
        .listen(0, "127.0.0.1").await(5, TimeUnit.SECONDS);

    JsonObject trust = new JsonObject().put("caFile", ca.ca().certFile().toString());
    app = RunningGather.start(new JsonObject()
        .put("upstreams", new JsonObject()
            .put("h2", new JsonObject().put("url", "https://localhost:" + h2.actualPort()).put("protocol", "http2")
                .put("tls", trust))
            .put("http11Only", new JsonObject().put("url", "https://localhost:" + http11Only.actualPort())
                .put("protocol", "http2").put("tls", trust.copy())))
        .put("aggregates", new JsonObject()
            .put("h2", aggregate("h2"))
            .put("http11Only", aggregate("http11Only"))));
  }

  private static JsonObject aggregate(String upstream) {
    return new JsonObject().put("deadlineMs", 5000).put("sources", new JsonObject()
        .put("a", new JsonObject().put("upstream", upstream).put("path", "/items/1"))
        .put("b", new JsonObject().put("upstream", upstream).put("path", "/items/2")));
  }

  @AfterAll
  static void stop() throws Exception {
    app.close();
    upstreamVertx.close().await(10, TimeUnit.SECONDS);
  }

  @BeforeEach
  void forget() {
    h2Saw.clear();
    http11OnlySaw.clear();
  }

  private static JsonObject data(String aggregate) throws Exception {
    HttpResponse<Buffer> response = app.client.get("/aggregate/" + aggregate).send().await(10, TimeUnit.SECONDS);
    assertEquals(200, response.statusCode(), response.bodyAsString());
    return response.bodyAsJsonObject().getJsonObject("data");
  }

  @Test
  void http2WithAPrivateCaIsSpokenToAnHttpsUpstreamThatOffersH2() throws Exception {
    JsonObject data = data("h2");
    assertEquals("HTTP_2", data.getJsonObject("a").getString("version"));
    assertEquals(List.of(HttpVersion.HTTP_2, HttpVersion.HTTP_2), h2Saw);
  }

  @Test
  void anHttpsUpstreamOfferingOnlyHttp11IsStillReachedOverHttp11() throws Exception {
    JsonObject data = data("http11Only");
    assertEquals("HTTP_1_1", data.getJsonObject("a").getString("version"));
    assertEquals("HTTP_1_1", data.getJsonObject("b").getString("version"));
    assertEquals(2, http11OnlySaw.size(), http11OnlySaw.toString());
    assertTrue(http11OnlySaw.stream().allMatch(v -> v == HttpVersion.HTTP_1_1), http11OnlySaw.toString());
  }

  @Test
  void theProxyReachesAnHttp2UpstreamOverTls() throws Exception {
    HttpResponse<Buffer> response = app.client.get("/proxy/h2/items/3").send().await(10, TimeUnit.SECONDS);
    assertEquals(200, response.statusCode(), response.bodyAsString());
    assertEquals("HTTP_2", response.bodyAsJsonObject().getString("version"));
  }
}
