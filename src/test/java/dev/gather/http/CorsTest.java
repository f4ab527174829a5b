package dev.gather.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gather.RunningGather;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class CorsTest {
  private static final String APP = "https://app.example";
  private static final AtomicInteger upstreamCalls = new AtomicInteger();
  private static Vertx upstreamVertx;
  private static HttpServer upstream;
  private static RunningGather app;

  @BeforeAll
  static void start() {
    upstreamVertx = Vertx.vertx();
    upstream = upstreamVertx.createHttpServer().requestHandler(request -> {
      upstreamCalls.incrementAndGet();
      request.response().end("{}");
    }).listen(0, "127.0.0.1").await();
    app = RunningGather.start(new JsonObject()
        .put("upstreams", new JsonObject().put("echo", new JsonObject()
            .put("url", "http://127.0.0.1:" + upstream.actualPort())))
        .put("cors", new JsonObject().put("origins", new JsonArray().add(APP)).put("methods", "GET,POST")
            .put("maxAgeSeconds", 600))
        .put("rateLimit", new JsonObject().put("routes", new JsonObject()
            .put("docs", new JsonObject().put("perSecond", 0.001).put("burst", 1)))));
  }

  @AfterAll
  static void stop() throws Exception {
    app.close();
    upstreamVertx.close().await();
  }

  @Test
  void aPreflightIsAnsweredWithoutTouchingTheUpstream() throws Exception {
    HttpResponse<Buffer> preflight = app.client.request(HttpMethod.OPTIONS, "/proxy/echo/anything")
        .putHeader("Origin", APP).putHeader("Access-Control-Request-Method", "POST")
        .putHeader("Access-Control-Request-Headers", "Content-Type")
        .send().await(5, TimeUnit.SECONDS);
    assertEquals(204, preflight.statusCode());
    assertEquals(APP, preflight.getHeader("Access-Control-Allow-Origin"));
    assertTrue(preflight.getHeader("Access-Control-Allow-Methods").contains("POST"));
    assertTrue(preflight.getHeader("Access-Control-Allow-Headers").contains("Content-Type"));
    assertEquals("600", preflight.getHeader("Access-Control-Max-Age"));
    assertEquals(0, upstreamCalls.get());
  }

  @Test
  void anActualRequestFromAnAllowedOriginMayReadTheExposedHeaders() throws Exception {
    HttpResponse<Buffer> answer = app.client.get("/").putHeader("Origin", APP).send().await(5, TimeUnit.SECONDS);
    assertEquals(200, answer.statusCode());
    assertEquals(APP, answer.getHeader("Access-Control-Allow-Origin"));
    assertTrue(answer.getHeader("Access-Control-Expose-Headers").contains("X-Request-Id"));
    assertTrue(answer.getHeader("Access-Control-Expose-Headers").contains("RateLimit"));
    assertTrue(answer.getHeader("Access-Control-Expose-Headers").contains("ETag"), "a page revalidating an aggregate reads its tag");
  }

  @Test
  void aPageMayReadA429Too() throws Exception {
    app.client.get("/openapi.yaml").putHeader("Origin", APP).send().await(5, TimeUnit.SECONDS);
    HttpResponse<Buffer> refused = app.client.get("/openapi.yaml").putHeader("Origin", APP).send()
        .await(5, TimeUnit.SECONDS);
    assertEquals(429, refused.statusCode());
    assertEquals(APP, refused.getHeader("Access-Control-Allow-Origin"));
  }

  @Test
  void anotherOriginGetsNoCorsAnswer() throws Exception {
    HttpResponse<Buffer> answer = app.client.get("/").putHeader("Origin", "https://evil.example").send()
        .await(5, TimeUnit.SECONDS);
    assertNull(answer.getHeader("Access-Control-Allow-Origin"));
    assertEquals(403, answer.statusCode());
    assertEquals(Problems.CONTENT_TYPE, answer.getHeader("Content-Type"));
  }

  @Test
  void aRequestWithoutOriginIsNotABrowsersAndPassesAsBefore() throws Exception {
    HttpResponse<Buffer> answer = app.client.get("/").send().await(5, TimeUnit.SECONDS);
    assertEquals(200, answer.statusCode());
    assertNull(answer.getHeader("Access-Control-Allow-Origin"));
  }
}
