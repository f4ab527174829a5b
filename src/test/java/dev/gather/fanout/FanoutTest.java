package dev.gather.fanout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gather.RunningGather;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.core.buffer.Buffer;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Aggregates against a real upstream on loopback that can be slow, fail, hang or send garbage. */
@ExtendWith(VertxExtension.class)
class FanoutTest {
  private static Vertx upstreamVertx;
  private static HttpServer upstream;
  private static RunningGather app;

  @BeforeAll
  static void start() throws Exception {
    upstreamVertx = Vertx.vertx();
    Router router = Router.router(upstreamVertx);
    router.get("/delay/:ms").handler(ctx -> upstreamVertx.setTimer(Long.parseLong(ctx.pathParam("ms")),
        t -> ctx.json(new JsonObject().put("waited", Long.parseLong(ctx.pathParam("ms"))))));
    router.get("/hang").handler(ctx -> { });
    router.get("/status/:code").handler(ctx -> ctx.response().setStatusCode(Integer.parseInt(ctx.pathParam("code")))
        .end("{}"));
    router.get("/garbage").handler(ctx -> ctx.response().end("<html>not json"));
    router.get("/big").handler(ctx -> ctx.json(new JsonObject().put("blob", "x".repeat(4096))));
    router.get("/users/:id").handler(ctx -> {
      int id = Integer.parseInt(ctx.pathParam("id"));
      ctx.json(new JsonObject().put("id", id).put("name", "user" + id)
          .put("friendIds", new JsonArray().add(id + 1).add(id + 2)));
    });
    router.get("/echo").handler(ctx -> ctx.json(new JsonObject()
        .put("requestId", ctx.request().getHeader("X-Request-Id"))
        .put("deadline", ctx.request().getHeader("X-Gather-Deadline-Ms"))
        .put("authorization", ctx.request().getHeader("Authorization"))));
    upstream = upstreamVertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1").await(5, TimeUnit.SECONDS);
    String base = "http://127.0.0.1:" + upstream.actualPort();

    JsonObject ten = new JsonObject();
    for (int i = 0; i < 10; i++) {
      ten.put("s" + i, source("test", "/delay/200"));
    }
    JsonObject config = new JsonObject()
        .put("upstreams", new JsonObject()
            .put("test", new JsonObject().put("url", base).put("timeoutMs", 400).put("maxBodyBytes", 1024)
                .put("forwardHeaders", new JsonArray().add("Authorization")))
            .put("dead", new JsonObject().put("url", "http://127.0.0.1:" + RunningGather.freePort())))
        .put("aggregates", new JsonObject()
            .put("ten", new JsonObject().put("path", "/aggregate/ten").put("deadlineMs", 5000).put("sources", ten))
            .put("optionalHang", aggregate(new JsonObject()
                .put("fast", source("test", "/delay/10").put("required", true))
                .put("slow", source("test", "/hang"))))
            .put("requiredHang", new JsonObject().put("path", "/aggregate/requiredHang").put("deadlineMs", 250)
                .put("sources", new JsonObject().put("slow", source("test", "/hang").put("required", true))))
            .put("failures", aggregate(new JsonObject()
                .put("refused", source("dead", "/anything"))
                .put("unavailable", source("test", "/status/503"))
                .put("garbage", source("test", "/garbage"))
                .put("big", source("test", "/big"))
                .put("fine", source("test", "/users/1"))
                .put("created", source("test", "/status/201"))))
            .put("requiredFailure", aggregate(new JsonObject().put("down", source("test", "/status/500").put("required", true))))
            .put("chain", new JsonObject().put("path", "/aggregate/chain/:userId").put("sources", new JsonObject()
                .put("profile", source("test", "/users/{userId}").put("required", true))
                .put("best", source("test", "/users/{profile.friendIds.0}"))
                .put("friends", source("test", "/users/{id}").put("forEach", "profile.friendIds").put("as", "id"))))
            .put("byIds", aggregate(new JsonObject().put("users", source("test", "/users/{id}").put("forEach", "ids").put("as", "id"))))
            .put("echo", aggregate(new JsonObject().put("echo", source("test", "/echo")))));
    app = RunningGather.start(config);
  }

  private static JsonObject source(String upstream, String path) {
    return new JsonObject().put("upstream", upstream).put("path", path);
  }

  private static JsonObject aggregate(JsonObject sources) {
    return new JsonObject().put("deadlineMs", 3000).put("sources", sources);
  }

  @AfterAll
  static void stop() throws Exception {
    app.close();
    upstreamVertx.close().await(10, TimeUnit.SECONDS);
  }

  private static HttpResponse<Buffer> get(String uri) throws Exception {
    return app.client.get(uri).send().await(10, TimeUnit.SECONDS);
  }

  @Test
  void tenSourcesOf200MsFinishWellUnderASecondTogether() throws Exception {
    long began = System.nanoTime();
    HttpResponse<Buffer> response = get("/aggregate/ten");
    long ms = (System.nanoTime() - began) / 1_000_000;
    assertEquals(200, response.statusCode(), response.bodyAsString());
    assertEquals(10, response.bodyAsJsonObject().getJsonObject("data").size());
    assertTrue(ms < 1000, "concurrent: " + ms + " ms");
    System.out.println("10 × 200 ms concurrently: " + ms + " ms");
  }

  @Test
  void sequentialModeRunsTheSameSourcesOneAfterAnother() throws Exception {
    long began = System.nanoTime();
    HttpResponse<Buffer> response = get("/aggregate/ten?mode=sequential");
    long ms = (System.nanoTime() - began) / 1_000_000;
    assertEquals(200, response.statusCode(), response.bodyAsString());
    assertTrue(ms >= 2000, "sequential: " + ms + " ms");
    System.out.println("10 × 200 ms sequentially: " + ms + " ms");
  }

  @Test
  void aHangingOptionalSourceIsCutAtItsTimeoutAndReportedWhileTheRestAnswer200() throws Exception {
    HttpResponse<Buffer> response = get("/aggregate/optionalHang");
    assertEquals(200, response.statusCode());
    JsonObject body = response.bodyAsJsonObject();
    assertFalse(body.getBoolean("complete"));
    assertEquals("false", response.getHeader("X-Gather-Complete"));
    assertEquals(10, body.getJsonObject("data").getJsonObject("fast").getInteger("waited"));
    assertEquals("timeout", body.getJsonObject("errors").getJsonObject("slow").getString("kind"));
    assertTrue(body.getJsonObject("sources").getJsonObject("slow").getLong("ms") >= 350);
  }

  @Test
  void aHangingRequiredSourceGives504InsideTheDeadline() throws Exception {
    long began = System.nanoTime();
    HttpResponse<Buffer> response = get("/aggregate/requiredHang");
    long ms = (System.nanoTime() - began) / 1_000_000;
    assertEquals(504, response.statusCode());
    assertEquals("timeout", response.bodyAsJsonObject().getJsonObject("errors").getJsonObject("slow").getString("kind"));
    assertTrue(ms < 1000, "answered after " + ms + " ms against a 250 ms deadline");
  }

  @Test
  void eachKindOfUpstreamFailureIsReportedBySource() throws Exception {
    HttpResponse<Buffer> response = get("/aggregate/failures");
    assertEquals(200, response.statusCode(), "no source is required");
    JsonObject errors = response.bodyAsJsonObject().getJsonObject("errors");
    assertEquals("connect", errors.getJsonObject("refused").getString("kind"));
    assertEquals("status", errors.getJsonObject("unavailable").getString("kind"));
    assertEquals(503, errors.getJsonObject("unavailable").getInteger("status"));
    assertEquals("bad_json", errors.getJsonObject("garbage").getString("kind"));
    assertEquals("too_large", errors.getJsonObject("big").getString("kind"));
    assertEquals("user1", response.bodyAsJsonObject().getJsonObject("data").getJsonObject("fine").getString("name"));
    assertEquals(201, response.bodyAsJsonObject().getJsonObject("sources").getJsonObject("created").getInteger("status"),
        "a source reports the status its upstream really answered");
    String timing = response.getHeader("Server-Timing");
    for (String source : new String[] {"refused", "unavailable", "garbage", "big", "fine"}) {
      assertTrue(timing.contains(source + ";dur="), timing);
    }
  }

  @Test
  void aFailedRequiredSourceGives502() throws Exception {
    HttpResponse<Buffer> response = get("/aggregate/requiredFailure");
    assertEquals(502, response.statusCode());
    assertEquals(500, response.bodyAsJsonObject().getJsonObject("errors").getJsonObject("down").getInteger("status"));
  }

  @Test
  void dependentSourcesUseWhatTheirDependencyAnsweredIncludingForEach() throws Exception {
    HttpResponse<Buffer> response = get("/aggregate/chain/7");
    assertEquals(200, response.statusCode(), response.bodyAsString());
    JsonObject data = response.bodyAsJsonObject().getJsonObject("data");
    assertEquals("user7", data.getJsonObject("profile").getString("name"));
    assertEquals("user8", data.getJsonObject("best").getString("name"));
    JsonArray friends = data.getJsonArray("friends");
    assertEquals("user8", friends.getJsonObject(0).getString("name"));
    assertEquals("user9", friends.getJsonObject(1).getString("name"));
  }

  @Test
  void forEachWalksAListGivenInTheRequest() throws Exception {
    HttpResponse<Buffer> response = get("/aggregate/byIds?ids=1,2,3");
    assertEquals(200, response.statusCode(), response.bodyAsString());
    JsonArray users = response.bodyAsJsonObject().getJsonObject("data").getJsonArray("users");
    assertEquals(3, users.size());
    assertEquals("user3", users.getJsonObject(2).getString("name"));
  }

  @Test
  void theRequestIdTheRemainingBudgetAndForwardedHeadersTravelUpstream() throws Exception {
    HttpResponse<Buffer> response = app.client.get("/aggregate/echo").putHeader("X-Request-Id", "trace-7")
        .putHeader("Authorization", "Bearer t").putHeader("Cookie", "secret=1").send().await(10, TimeUnit.SECONDS);
    JsonObject echo = response.bodyAsJsonObject().getJsonObject("data").getJsonObject("echo");
    assertEquals("trace-7", echo.getString("requestId"));
    assertEquals("Bearer t", echo.getString("authorization"));
    long budget = Long.parseLong(echo.getString("deadline"));
    assertTrue(budget > 0 && budget <= 3000, "remaining budget " + budget);
  }

  @Test
  void anUnknownModeIs400() throws Exception {
    HttpResponse<Buffer> response = get("/aggregate/ten?mode=parallel");
    assertEquals(400, response.statusCode());
  }
}
