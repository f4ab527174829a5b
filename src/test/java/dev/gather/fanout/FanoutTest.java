package dev.gather.fanout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gather.Await;
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
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
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
  private static final AtomicInteger inFlight = new AtomicInteger();
  private static final AtomicInteger maxInFlight = new AtomicInteger();

  @BeforeAll
  static void start() throws Exception {
    upstreamVertx = Vertx.vertx();
    Router router = Router.router(upstreamVertx);
    router.get("/delay/:ms").handler(ctx -> upstreamVertx.setTimer(Long.parseLong(ctx.pathParam("ms")),
        t -> ctx.json(new JsonObject().put("waited", Long.parseLong(ctx.pathParam("ms"))))));
    router.get("/hang").handler(ctx -> { });
    router.get("/trickle").handler(ctx -> {
      ctx.response().setChunked(true).putHeader("Content-Type", "application/json").write("[");
      upstreamVertx.setPeriodic(50, t -> {
        if (ctx.response().closed()) {
          upstreamVertx.cancelTimer(t);
        } else {
          ctx.response().write("1,");
        }
      });
    });
    router.get("/counted/:ms").handler(ctx -> {
      int now = inFlight.incrementAndGet();
      maxInFlight.accumulateAndGet(now, Math::max);
      upstreamVertx.setTimer(Long.parseLong(ctx.pathParam("ms")), t -> {
        inFlight.decrementAndGet();
        ctx.json(new JsonObject().put("ok", true));
      });
    });
    router.get("/status/:code").handler(ctx -> ctx.response().setStatusCode(Integer.parseInt(ctx.pathParam("code")))
        .end("{}"));
    router.get("/garbage").handler(ctx -> ctx.response().end("<html>not json"));
    router.get("/exact").handler(ctx -> ctx.response().end("{\"price\": 1.50, \"big\": 12345678901234567890123}"));
    router.get("/empty").handler(ctx -> ctx.response().end());
    router.get("/trailing").handler(ctx -> ctx.response().end("{\"a\":1} {\"b\":2}"));
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
            .put("dead", new JsonObject().put("url", "http://127.0.0.1:" + RunningGather.freePort()))
            .put("narrow", new JsonObject().put("url", base).put("timeoutMs", 2000)
                .put("maxConcurrent", 2).put("maxQueued", 1)))
        .put("queries", new JsonObject()
            .put("user_by_id", "SELECT id, name, email FROM users WHERE id = $1")
            .put("broken", "SELECT nonsense FROM nowhere WHERE id = $1"))
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
            .put("echo", aggregate(new JsonObject().put("echo", source("test", "/echo"))))
            .put("asSent", aggregate(new JsonObject()
                .put("exact", source("test", "/exact"))
                .put("trailing", source("test", "/trailing"))
                .put("empty", source("test", "/empty"))))
            .put("trickle", aggregate(new JsonObject().put("slow", source("test", "/trickle"))))
            .put("withSql", new JsonObject().put("path", "/aggregate/withSql/:userId").put("sources", new JsonObject()
                .put("account", new JsonObject().put("query", "user_by_id").put("params", new JsonArray().add("{userId}"))
                    .put("required", true))
                .put("profile", source("test", "/users/{userId}"))
                .put("named", new JsonObject().put("query", "user_by_id")
                    .put("params", new JsonArray().add("{profile.id}")))
                .put("broken", new JsonObject().put("query", "broken").put("params", new JsonArray().add("{userId}")))))
            .put("crowd", aggregate(new JsonObject().put("calls", source("narrow", "/counted/300")
                .put("forEach", "ids").put("as", "i"))))
            .put("crowdRequired", aggregate(new JsonObject().put("calls", source("narrow", "/counted/300")
                .put("forEach", "ids").put("as", "i").put("required", true)))));
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
    assertEquals(10, response.bodyAsJsonObject().getJsonObject("data").size(), response.bodyAsString());
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
  void anAnswerNobodyReadsGoesIntoTheEnvelopeAsTheUpstreamWroteItOnceCheckedAsJson() throws Exception {
    HttpResponse<Buffer> response = get("/aggregate/asSent");
    assertEquals(200, response.statusCode(), response.bodyAsString());
    assertTrue(response.bodyAsString().contains("\"exact\":{\"price\": 1.50, \"big\": 12345678901234567890123}"),
        response.bodyAsString());
    JsonObject body = response.bodyAsJsonObject();
    assertEquals("bad_json", body.getJsonObject("errors").getJsonObject("trailing").getString("kind"),
        "a second value after the first is not one JSON body");
    assertTrue(body.getJsonObject("data").containsKey("empty"), response.bodyAsString());
    assertNull(body.getJsonObject("data").getValue("empty"), "an empty body is null");
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
  void aForwardedHeaderTheClientsConnectionNamesIsNotForwarded() throws Exception {
    HttpResponse<Buffer> response = app.client.get("/aggregate/echo").putHeader("Authorization", "Bearer t")
        .putHeader("Connection", "keep-alive, Authorization").send().await(10, TimeUnit.SECONDS);
    JsonObject echo = response.bodyAsJsonObject().getJsonObject("data").getJsonObject("echo");
    assertNull(echo.getValue("authorization"), "forwardHeaders lists it, but the client made it this hop's only");
  }

  @Test
  void anUnknownModeIs400() throws Exception {
    HttpResponse<Buffer> response = get("/aggregate/ten?mode=parallel");
    assertEquals(400, response.statusCode());
  }

  @Test
  void aTricklingUpstreamIsCutAtItsTimeoutNotKeptAliveByEachByte() throws Exception {
    long began = System.nanoTime();
    HttpResponse<Buffer> response = get("/aggregate/trickle");
    long ms = (System.nanoTime() - began) / 1_000_000;
    assertEquals("timeout", response.bodyAsJsonObject().getJsonObject("errors").getJsonObject("slow").getString("kind"));
    assertTrue(ms < 1500, "a 400 ms timeout ended after " + ms + " ms");
  }

  @Test
  void aSqlSourceRunsANamedQueryBesideTheUpstreamCalls() throws Exception {
    int id = createUser("sql-source@example.com");
    HttpResponse<Buffer> response = get("/aggregate/withSql/" + id);
    assertEquals(200, response.statusCode(), response.bodyAsString());
    JsonObject data = response.bodyAsJsonObject().getJsonObject("data");
    JsonObject row = data.getJsonArray("account").getJsonObject(0);
    assertEquals("sql-source@example.com", row.getString("email"));
    assertEquals(id, row.getInteger("id"));
    assertEquals(row, data.getJsonArray("named").getJsonObject(0), "a query parameter taken from another source");
    assertEquals("user" + id, data.getJsonObject("profile").getString("name"));
  }

  @Test
  void aQueryThatFailsIsReportedAsItsSourcesError() throws Exception {
    HttpResponse<Buffer> response = get("/aggregate/withSql/1");
    JsonObject broken = response.bodyAsJsonObject().getJsonObject("errors").getJsonObject("broken");
    assertEquals("query_failed", broken.getString("kind"));
    assertTrue(broken.getString("detail").contains("42P01"), broken.getString("detail"));
  }

  @Test
  void aParameterOfTheWrongTypeForARequiredQueryIs400() throws Exception {
    HttpResponse<Buffer> response = get("/aggregate/withSql/abc");
    assertEquals(400, response.statusCode(), response.bodyAsString());
    JsonObject account = response.bodyAsJsonObject().getJsonObject("errors").getJsonObject("account");
    assertEquals("bad_parameter", account.getString("kind"));
    assertTrue(account.getString("detail").contains("$1") && account.getString("detail").contains("bigint"),
        account.getString("detail"));
  }

  @Test
  void callsUpToMaxConcurrentPlusMaxQueuedAreServedAndNeverMoreAtOnce() throws Exception {
    awaitNarrowIdle();
    maxInFlight.set(0);
    HttpResponse<Buffer> response = get("/aggregate/crowd?ids=1,2,3");
    assertEquals(200, response.statusCode(), response.bodyAsString());
    assertTrue(response.bodyAsJsonObject().getBoolean("complete"), response.bodyAsString());
    assertEquals(2, maxInFlight.get(), "maxConcurrent is 2");
  }

  @Test
  void aCallPastTheQueueBoundIsShedAtOnceAsTheSourcesError() throws Exception {
    awaitNarrowIdle();
    long began = System.nanoTime();
    HttpResponse<Buffer> response = get("/aggregate/crowd?ids=1,2,3,4");
    long ms = (System.nanoTime() - began) / 1_000_000;
    assertEquals(200, response.statusCode(), "the source is optional");
    JsonObject error = response.bodyAsJsonObject().getJsonObject("errors").getJsonObject("calls");
    assertEquals("shed", error.getString("kind"), response.bodyAsString());
    assertTrue(ms < 250, "shed at once, not after the 300 ms calls: " + ms + " ms");
  }

  @Test
  void aRequiredSourceThatIsShedGives503WithoutARetryAfterItCannotKnow() throws Exception {
    awaitNarrowIdle();
    HttpResponse<Buffer> response = get("/aggregate/crowdRequired?ids=1,2,3,4,5");
    assertEquals(503, response.statusCode(), response.bodyAsString());
    assertNull(response.getHeader("Retry-After"), "a full queue does not know when a turn frees");
  }

  @Test
  void metricsCountCallsByUpstreamAndOutcomeShedCallsAndAggregateCompleteness() throws Exception {
    get("/aggregate/failures");
    get("/aggregate/crowd?ids=1,2,3,4,5");
    // An aggregate's request is counted just after its answer is sent: the scrape may come before it is.
    String counted = "gather_aggregate_seconds_count{aggregate=\"failures\",complete=\"false\",mode=\"concurrent\","
        + "status=\"200\"}";
    String[] scraped = new String[1];
    Await.until("the failures aggregate's request to be counted", Duration.ofSeconds(10), () -> {
      scraped[0] = get("/metrics").bodyAsString();
      return scraped[0].contains(counted);
    });
    String metrics = scraped[0];
    for (String expected : new String[] {
        "gather_upstream_call_seconds_count{outcome=\"ok\",upstream=\"test\"}",
        "gather_upstream_call_seconds_count{outcome=\"bad_json\",upstream=\"test\"}",
        "gather_upstream_call_seconds_count{outcome=\"connect\",upstream=\"dead\"}",
        "gather_upstream_call_seconds_bucket{outcome=\"ok\",upstream=\"test\",le=",
        "gather_upstream_shed_total{upstream=\"narrow\"}",
        "gather_upstream_in_flight{upstream=\"narrow\"}",
        counted}) {
      assertTrue(metrics.contains(expected), "missing " + expected);
    }
    double shed = metrics.lines().filter(l -> l.startsWith("gather_upstream_shed_total{upstream=\"narrow\"}"))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    assertTrue(shed >= 1, "shed calls counted: " + shed);
  }

  /** Calls another test left in flight or queued on "narrow" would take some of its two turns. */
  private static void awaitNarrowIdle() throws Exception {
    Await.until("no calls to narrow in flight or queued", Duration.ofSeconds(5), () -> {
      String metrics = get("/metrics").bodyAsString();
      return metrics.contains("gather_upstream_in_flight{upstream=\"narrow\"} 0.0")
          && metrics.contains("gather_upstream_queued{upstream=\"narrow\"} 0.0");
    });
  }

  private static int createUser(String email) throws Exception {
    HttpResponse<Buffer> created = app.client.post("/users")
        .sendJsonObject(new JsonObject().put("email", email).put("name", "Sql Source"))
        .await(10, TimeUnit.SECONDS);
    assertEquals(201, created.statusCode(), created.bodyAsString());
    return created.bodyAsJsonObject().getInteger("id");
  }
}
