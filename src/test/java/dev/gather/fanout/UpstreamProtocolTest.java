package dev.gather.fanout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gather.RunningGather;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** HTTP/2 to upstreams, against a real h2c server on loopback that records the version and connection of each call. */
class UpstreamProtocolTest {
  private static Vertx upstreamVertx;
  private static HttpServer server;
  private static RunningGather app;
  private static final List<HttpVersion> versions = new CopyOnWriteArrayList<>();
  private static final Set<HttpConnection> connections = ConcurrentHashMap.newKeySet();

  @BeforeAll
  static void start() throws Exception {
    upstreamVertx = Vertx.vertx();
    // Vert.x servers take h2c with prior knowledge by default; the options say so for the reader.
    server = upstreamVertx.createHttpServer(new HttpServerOptions().setHttp2ClearTextEnabled(true))
        .requestHandler(request -> {
          if (request.path().equals("/echo")) {
            request.body().onSuccess(body -> request.response().end(new JsonObject()
                .put("version", request.version().name()).put("bytes", body.length())
                .put("hop", request.getHeader("X-Hop")).encode()));
            return;
          }
          versions.add(request.version());
          connections.add(request.connection());
          // Slow enough that the aggregate's calls overlap: sharing a connection then means multiplexing.
          upstreamVertx.setTimer(150, t -> request.response().putHeader("Content-Type", "application/json")
              .end(new JsonObject().put("version", request.version().name()).encode()));
        })
        .listen(0, "127.0.0.1").await(5, TimeUnit.SECONDS);
    String base = "http://127.0.0.1:" + server.actualPort();
    app = RunningGather.start(new JsonObject()
        .put("upstreams", new JsonObject()
            .put("h2c", new JsonObject().put("url", base).put("protocol", "h2c"))
            .put("h2cTwoStreams", new JsonObject().put("url", base).put("protocol", "h2c").put("maxStreams", 2)
                .put("maxConnections", 3))
            .put("plain", new JsonObject().put("url", base)))
        .put("aggregates", new JsonObject()
            .put("h2c", six("h2c"))
            .put("h2cTwoStreams", six("h2cTwoStreams"))
            .put("plain", six("plain"))));
  }

  private static JsonObject six(String upstream) {
    JsonObject sources = new JsonObject();
    for (int i = 0; i < 6; i++) {
      sources.put("s" + i, new JsonObject().put("upstream", upstream).put("path", "/item/" + i));
    }
    return new JsonObject().put("deadlineMs", 5000).put("sources", sources);
  }

  @AfterAll
  static void stop() throws Exception {
    app.close();
    upstreamVertx.close().await(10, TimeUnit.SECONDS);
  }

  @BeforeEach
  void forget() {
    versions.clear();
    connections.clear();
  }

  private static HttpResponse<Buffer> get(String uri) throws Exception {
    return app.client.get(uri).send().await(10, TimeUnit.SECONDS);
  }

  @Test
  void anH2cUpstreamIsCalledOverHttp2WithTheAggregatesCallsMultiplexedOnOneConnection() throws Exception {
    HttpResponse<Buffer> response = get("/aggregate/h2c");
    assertEquals(200, response.statusCode(), response.bodyAsString());
    assertEquals("HTTP_2", response.bodyAsJsonObject().getJsonObject("data").getJsonObject("s0").getString("version"));
    assertEquals(6, versions.size(), versions.toString());
    assertTrue(versions.stream().allMatch(v -> v == HttpVersion.HTTP_2), versions.toString());
    assertEquals(1, connections.size(), "six overlapping calls share one connection");
  }

  @Test
  void maxStreamsCapsTheCallsOneHttp2ConnectionCarriesSoMoreConnectionsOpen() throws Exception {
    HttpResponse<Buffer> response = get("/aggregate/h2cTwoStreams");
    assertEquals(200, response.statusCode(), response.bodyAsString());
    assertTrue(versions.stream().allMatch(v -> v == HttpVersion.HTTP_2), versions.toString());
    assertEquals(3, connections.size(), "six overlapping calls, two streams on each of three connections");
  }

  @Test
  void theProxyStreamsARequestAndItsBodyToAnH2cUpstreamWithoutHopByHopHeaders() throws Exception {
    HttpResponse<Buffer> response = app.client.post("/proxy/h2c/echo").putHeader("Connection", "keep-alive, X-Hop")
        .putHeader("X-Hop", "mine").sendBuffer(Buffer.buffer("x".repeat(100_000))).await(10, TimeUnit.SECONDS);
    assertEquals(200, response.statusCode(), response.bodyAsString());
    JsonObject echo = response.bodyAsJsonObject();
    assertEquals("HTTP_2", echo.getString("version"));
    assertEquals(100_000, echo.getInteger("bytes"));
    assertEquals(null, echo.getString("hop"), "HTTP/2 forbids connection-specific headers; the proxy drops them");
  }

  @Test
  void anUpstreamWithoutAProtocolIsCalledOverHttp1() throws Exception {
    HttpResponse<Buffer> response = get("/aggregate/plain");
    assertEquals(200, response.statusCode(), response.bodyAsString());
    assertTrue(versions.stream().allMatch(v -> v == HttpVersion.HTTP_1_1), versions.toString());
    assertEquals(6, connections.size(), "HTTP/1.1 carries one call per connection at a time");
  }
}
