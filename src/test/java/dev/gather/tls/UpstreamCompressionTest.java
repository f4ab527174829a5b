package dev.gather.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gather.Await;
import dev.gather.RunningGather;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Upstreams answering gzip: decoded, maxBodyBytes counted on the decoded bytes, and a gzip bomb cut. */
class UpstreamCompressionTest {
  private static Vertx upstreamVertx;
  private static HttpServer upstream;
  private static RunningGather app;
  private static final AtomicLong bombSent = new AtomicLong();
  private static final AtomicBoolean bombClosed = new AtomicBoolean();

  @BeforeAll
  static void start() throws Exception {
    upstreamVertx = Vertx.vertx();
    upstream = upstreamVertx.createHttpServer().requestHandler(request -> {
      HttpServerResponse response = request.response().putHeader("Content-Type", "application/json");
      String accepted = request.getHeader("Accept-Encoding");
      if (request.path().equals("/bomb")) {
        response.putHeader("Content-Encoding", "gzip").setChunked(true);
        request.connection().closeHandler(v -> bombClosed.set(true));
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        try {
          sendBomb(response, sink, new GZIPOutputStream(sink, true));
        } catch (java.io.IOException e) {
          response.reset();
        }
        return;
      }
      JsonObject json = new JsonObject().put("acceptEncoding", accepted).put("text", "gather ".repeat(2000));
      if (accepted != null && accepted.contains("gzip")) {
        response.putHeader("Content-Encoding", "gzip").end(gzipUnchecked(json.toBuffer().getBytes()));
      } else {
        response.end(json.toBuffer());
      }
    }).listen(0, "127.0.0.1").await(5, TimeUnit.SECONDS);
    String base = "http://127.0.0.1:" + upstream.actualPort();
    app = RunningGather.start(new JsonObject()
        .put("upstreams", new JsonObject()
            .put("zipped", new JsonObject().put("url", base).put("maxBodyBytes", 65_536).put("timeoutMs", 10_000))
            .put("small", new JsonObject().put("url", base).put("maxBodyBytes", 4096))
            .put("plain", new JsonObject().put("url", base).put("compression", false)))
        .put("aggregates", new JsonObject()
            .put("zipped", aggregate("zipped", "/json"))
            .put("small", aggregate("small", "/json"))
            .put("plain", aggregate("plain", "/json"))
            .put("bomb", aggregate("zipped", "/bomb"))));
  }

  /**
   * A bomb without end: 1 MiB of zeros (about 1 KiB of gzip) after another, as fast as the connection takes
   * them, until gather closes it. Only a reader that stops at maxBodyBytes ever closes it.
   */
  private static void sendBomb(HttpServerResponse response, ByteArrayOutputStream sink, GZIPOutputStream zip) {
    byte[] zeros = new byte[1 << 20];
    try {
      // A few MiB per turn, so that the upstream's event loop still serves the other tests and sees the close.
      for (int i = 0; i < 8 && !response.writeQueueFull() && !bombClosed.get(); i++) {
        zip.write(zeros);
        zip.flush();
        bombSent.addAndGet(sink.size());
        response.write(Buffer.buffer(sink.toByteArray()));
        sink.reset();
      }
    } catch (Exception e) {
      return;
    }
    if (bombClosed.get()) {
      return;
    }
    if (response.writeQueueFull()) {
      response.drainHandler(v -> sendBomb(response, sink, zip));
    } else {
      upstreamVertx.runOnContext(v -> sendBomb(response, sink, zip));
    }
  }

  private static JsonObject aggregate(String upstream, String path) {
    return new JsonObject().put("deadlineMs", 15_000).put("sources", new JsonObject()
        .put("call", new JsonObject().put("upstream", upstream).put("path", path)));
  }

  private static Buffer gzip(byte[] bytes) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream zip = new GZIPOutputStream(out)) {
      zip.write(bytes);
    }
    return Buffer.buffer(out.toByteArray());
  }

  private static Buffer gzipUnchecked(byte[] bytes) {
    try {
      return gzip(bytes);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @AfterAll
  static void stop() throws Exception {
    app.close();
    upstreamVertx.close().await(10, TimeUnit.SECONDS);
  }

  private static JsonObject body(String aggregate) throws Exception {
    HttpResponse<Buffer> response = app.client.get("/aggregate/" + aggregate).send().await(20, TimeUnit.SECONDS);
    assertEquals(200, response.statusCode(), response.bodyAsString());
    return response.bodyAsJsonObject();
  }

  @Test
  void aGzipAnswerIsAskedForAndDecoded() throws Exception {
    JsonObject call = body("zipped").getJsonObject("data").getJsonObject("call");
    assertEquals("gzip, deflate", call.getString("acceptEncoding"));
    assertTrue(call.getString("text").startsWith("gather gather"));
  }

  @Test
  void maxBodyBytesCountsTheDecodedBytes() throws Exception {
    JsonObject body = body("small");
    assertEquals("too_large", body.getJsonObject("errors").getJsonObject("call").getString("kind"),
        "about 300 bytes of gzip decode to 14 kB, over 4096: " + body.encode());
  }

  @Test
  void compressionFalseAsksForNoEncoding() throws Exception {
    assertNull(body("plain").getJsonObject("data").getJsonObject("call").getString("acceptEncoding"));
  }

  @Test
  void aGzipBombIsCutAtMaxBodyBytesNotInflated() throws Exception {
    JsonObject body = body("bomb");
    JsonObject error = body.getJsonObject("errors").getJsonObject("call");
    assertEquals("too_large", error.getString("kind"), body.encode());
    Await.until("gather to close the bomb's connection", Duration.ofSeconds(10), bombClosed::get);
    assertTrue(bombSent.get() < 16 << 20, "gzip sent before gather cut it: " + bombSent.get() + " bytes");
  }

  @Test
  void theProxyForwardsTheDecodedAnswerWithoutContentEncoding() throws Exception {
    // The test's client asks for no encoding; gather still asks the upstream for gzip and decodes it.
    HttpResponse<Buffer> response = app.client.get("/proxy/zipped/json").send().await(20, TimeUnit.SECONDS);
    assertEquals(200, response.statusCode(), response.bodyAsString());
    assertNull(response.getHeader("Content-Encoding"), response.headers().toString());
    JsonObject json = response.bodyAsJsonObject();
    assertTrue(json.getString("acceptEncoding").contains("gzip"), json.getString("acceptEncoding"));
    assertTrue(json.getString("text").startsWith("gather gather"));
  }
}
