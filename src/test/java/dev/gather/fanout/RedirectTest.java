package dev.gather.fanout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gather.RunningGather;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.client.HttpResponse;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * followRedirects against a real redirecting upstream on 127.0.0.1 and a second server reached by another host
 * name (localhost), which a redirect may reach only when it is listed in redirectHosts.
 */
class RedirectTest {
  private static Vertx upstreamVertx;
  private static HttpServer redirecting;
  private static HttpServer elsewhere;
  private static RunningGather app;
  private static final AtomicInteger elsewhereCalls = new AtomicInteger();

  @BeforeAll
  static void start() throws Exception {
    upstreamVertx = Vertx.vertx();
    Router other = Router.router(upstreamVertx);
    other.get("/landed").handler(ctx -> {
      elsewhereCalls.incrementAndGet();
      ctx.json(new JsonObject().put("landed", true).put("authorization", ctx.request().getHeader("Authorization")));
    });
    elsewhere = upstreamVertx.createHttpServer().requestHandler(other).listen(0, "localhost").await(5, TimeUnit.SECONDS);
    String elsewhereUrl = "http://localhost:" + elsewhere.actualPort() + "/landed";

    Router router = Router.router(upstreamVertx);
    router.get("/hop/:n").handler(ctx -> {
      int n = Integer.parseInt(ctx.pathParam("n"));
      if (n == 0) {
        ctx.json(new JsonObject().put("arrived", true).put("authorization", ctx.request().getHeader("Authorization")));
      } else {
        ctx.response().setStatusCode(302).putHeader("Location", "/hop/" + (n - 1)).end("moved");
      }
    });
    router.post("/form").handler(ctx -> ctx.response().setStatusCode(303).putHeader("Location", "/hop/0").end());
    router.get("/away").handler(ctx -> ctx.response().setStatusCode(307).putHeader("Location", elsewhereUrl).end());
    redirecting = upstreamVertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1")
        .await(5, TimeUnit.SECONDS);
    String base = "http://127.0.0.1:" + redirecting.actualPort();

    JsonArray auth = new JsonArray().add("Authorization");
    app = RunningGather.start(new JsonObject()
        .put("upstreams", new JsonObject()
            .put("twice", new JsonObject().put("url", base).put("followRedirects", 2).put("forwardHeaders", auth))
            .put("never", new JsonObject().put("url", base))
            .put("listed", new JsonObject().put("url", base).put("followRedirects", 1).put("forwardHeaders", auth)
                .put("redirectHosts", new JsonArray().add("localhost"))))
        .put("aggregates", new JsonObject()
            .put("twoHops", one(source("twice", "/hop/2")))
            .put("threeHops", one(source("twice", "/hop/3")))
            .put("notFollowed", one(source("never", "/hop/1")))
            .put("seeOther", one(source("twice", "/form").put("method", "POST").put("body", new JsonObject())))
            .put("unlisted", one(source("twice", "/away")))
            .put("listed", one(source("listed", "/away")))));
  }

  private static JsonObject source(String upstream, String path) {
    return new JsonObject().put("upstream", upstream).put("path", path);
  }

  private static JsonObject one(JsonObject source) {
    return new JsonObject().put("deadlineMs", 3000).put("sources", new JsonObject().put("it", source));
  }

  @AfterAll
  static void stop() throws Exception {
    app.close();
    upstreamVertx.close().await(10, TimeUnit.SECONDS);
  }

  @BeforeEach
  void forget() {
    elsewhereCalls.set(0);
  }

  private static JsonObject get(String aggregate) throws Exception {
    HttpResponse<Buffer> response = app.client.get("/aggregate/" + aggregate).putHeader("Authorization", "Bearer t")
        .send().await(10, TimeUnit.SECONDS);
    assertEquals(200, response.statusCode(), response.bodyAsString());
    return response.bodyAsJsonObject();
  }

  @Test
  void redirectsWithinFollowRedirectsAreFollowedToTheAnswer() throws Exception {
    JsonObject body = get("twoHops");
    JsonObject it = body.getJsonObject("data").getJsonObject("it");
    assertEquals(true, it.getBoolean("arrived"), body.encode());
    assertEquals("Bearer t", it.getString("authorization"), "the same host keeps the forwarded credentials");
  }

  @Test
  void aRedirectBeyondFollowRedirectsIsReportedAsTheStatusItIs() throws Exception {
    JsonObject error = get("threeHops").getJsonObject("errors").getJsonObject("it");
    assertEquals("status", error.getString("kind"), error.encode());
    assertEquals(302, error.getInteger("status"));
  }

  @Test
  void withoutFollowRedirectsARedirectIsReportedAsToday() throws Exception {
    JsonObject error = get("notFollowed").getJsonObject("errors").getJsonObject("it");
    assertEquals("status", error.getString("kind"), error.encode());
    assertEquals(302, error.getInteger("status"));
  }

  @Test
  void aSeeOtherAfterAPostIsFollowedWithAGet() throws Exception {
    JsonObject body = get("seeOther");
    assertEquals(true, body.getJsonObject("data").getJsonObject("it").getBoolean("arrived"), body.encode());
  }

  @Test
  void aRedirectToAnotherHostNotListedIsRefusedAndNeverSent() throws Exception {
    JsonObject body = get("unlisted");
    JsonObject error = body.getJsonObject("errors").getJsonObject("it");
    assertEquals("status", error.getString("kind"), error.encode());
    assertEquals(307, error.getInteger("status"));
    assertTrue(body.encode().contains("redirectHosts"), body.encode());
    assertEquals(0, elsewhereCalls.get());
  }

  @Test
  void aRedirectToAListedHostIsFollowedWithoutTheClientsCredentials() throws Exception {
    JsonObject body = get("listed");
    JsonObject it = body.getJsonObject("data").getJsonObject("it");
    assertEquals(true, it.getBoolean("landed"), body.encode());
    assertNull(it.getString("authorization"), "credentials stay with the host they were meant for");
    assertEquals(1, elsewhereCalls.get());
  }
}
