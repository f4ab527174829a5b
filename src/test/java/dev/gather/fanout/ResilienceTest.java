package dev.gather.fanout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gather.Await;
import dev.gather.RunningGather;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.http.PoolOptions;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Retries, the retry budget, the circuit breaker, hedging, coalescing and cancellation, each against a real
 * loopback upstream that misbehaves in the way the feature is for. Each upstream name is used by one test
 * only, so that the process-wide budget and breaker state of one test never leak into another.
 */
class ResilienceTest {
  private static Vertx servers;
  private static HttpServer upstream;
  private static RunningGather app;
  private static final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
  private static final AtomicBoolean breakerUpstreamDown = new AtomicBoolean(true);
  private static final AtomicBoolean hangClosed = new AtomicBoolean();
  private static final AtomicInteger hangsOpen = new AtomicInteger();
  private static final io.vertx.core.Promise<Void> sharedRelease = io.vertx.core.Promise.promise();

  @BeforeAll
  static void start() throws Exception {
    servers = Vertx.vertx();
    upstream = servers.createHttpServer().requestHandler(request -> {
      String path = request.path();
      int n = calls.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
      if (path.startsWith("/flaky")) { // fails twice, then answers, and so on
        if (n % 3 != 0) {
          request.response().setStatusCode(503).end();
        } else {
          request.response().putHeader("Content-Type", "application/json").end("{\"try\":" + n + "}");
        }
      } else if (path.equals("/down")) {
        request.response().setStatusCode(500).end();
      } else if (path.equals("/breaker")) {
        if (breakerUpstreamDown.get()) {
          request.response().setStatusCode(503).end();
        } else {
          request.response().end("{\"ok\":true}");
        }
      } else if (path.startsWith("/replica")) { // one answer in three is slow: a slow replica behind the name
        servers.setTimer(n % 3 == 1 ? 300 : 5, t -> request.response().end("{\"n\":" + n + "}"));
      } else if (path.equals("/shared/k1")) { // answers once the test has seen every request join
        sharedRelease.future().onComplete(v -> request.response().end("{\"shared\":" + n + "}"));
      } else if (path.startsWith("/shared")) {
        servers.setTimer(300, t -> request.response().end("{\"shared\":" + n + "}"));
      } else if (path.equals("/hang")) {
        hangsOpen.incrementAndGet();
        request.connection().closeHandler(v -> hangClosed.set(true));
      } else {
        request.response().setStatusCode(404).end();
      }
    }).listen(0, "127.0.0.1").await(5, TimeUnit.SECONDS);
    String base = "http://127.0.0.1:" + upstream.actualPort();

    JsonObject upstreams = new JsonObject()
        .put("flaky", new JsonObject().put("url", base).put("retries", 2).put("retryBackoffMs", 5))
        .put("flakyNoRetries", new JsonObject().put("url", base))
        .put("down", new JsonObject().put("url", base).put("retries", 3).put("retryBackoffMs", 1)
            .put("retryOn", new io.vertx.core.json.JsonArray().add(500))
            .put("retryBudget", new JsonObject().put("ratio", 0.1).put("minPerSecond", 1)))
        .put("breaker", new JsonObject().put("url", base)
            .put("circuitBreaker", new JsonObject().put("failures", 3).put("resetMs", 400)))
        .put("plain", new JsonObject().put("url", base))
        .put("hedged", new JsonObject().put("url", base).put("hedgeAfterMs", 30))
        .put("coalesced", new JsonObject().put("url", base).put("coalesce", true).put("maxConnections", 200)
            .put("forwardHeaders", new io.vertx.core.json.JsonArray().add("Authorization")))
        .put("hanging", new JsonObject().put("url", base).put("timeoutMs", 10_000));
    JsonObject aggregates = new JsonObject()
        .put("flaky", one("flaky", "/flaky/a"))
        .put("flakyNoRetries", one("flakyNoRetries", "/flaky/b"))
        .put("down", one("down", "/down"))
        .put("breaker", one("breaker", "/breaker"))
        .put("unhedged", one("plain", "/replica/plain"))
        .put("hedged", one("hedged", "/replica/hedged"))
        .put("coalesced", one("coalesced", "/shared/{key}"))
        .put("hanging", new JsonObject().put("deadlineMs", 10_000).put("sources", new JsonObject()
            .put("first", new JsonObject().put("upstream", "hanging").put("path", "/hang").put("required", true))
            .put("second", new JsonObject().put("upstream", "hanging").put("path", "/after/{first.id}"))));
    app = RunningGather.start(new JsonObject().put("upstreams", upstreams).put("aggregates", aggregates));
  }

  /** An aggregate (at /aggregate/{its name}) of one required source. */
  private static JsonObject one(String upstream, String path) {
    return new JsonObject().put("deadlineMs", 3000)
        .put("sources", new JsonObject().put("only", new JsonObject().put("upstream", upstream).put("path", path)
            .put("required", true)));
  }

  @AfterAll
  static void stop() throws Exception {
    app.close();
    servers.close().await(10, TimeUnit.SECONDS);
  }

  private static HttpResponse<Buffer> get(String uri) throws Exception {
    return app.client.get(uri).send().await(15, TimeUnit.SECONDS);
  }

  private static JsonObject only(HttpResponse<Buffer> response, String section) {
    return response.bodyAsJsonObject().getJsonObject(section).getJsonObject("only");
  }

  @Test
  void aFlakyUpstreamThatFailsTwoCallsInThreeAnswersThroughRetries() throws Exception {
    HttpResponse<Buffer> response = get("/aggregate/flaky");
    assertEquals(200, response.statusCode(), response.bodyAsString());
    assertEquals(3, only(response, "sources").getInteger("attempts"));
    assertEquals(3, calls.get("/flaky/a").get());
  }

  @Test
  void withoutRetriesTheSameUpstreamFailsOnItsFirstTry() throws Exception {
    HttpResponse<Buffer> response = get("/aggregate/flakyNoRetries");
    assertEquals(502, response.statusCode());
    assertEquals(1, only(response, "errors").getInteger("attempts"));
  }

  @Test
  void theRetryBudgetStopsRetriesWhenTheUpstreamIsDown() throws Exception {
    int requests = 50;
    for (int i = 0; i < requests; i++) {
      assertEquals(502, get("/aggregate/down").statusCode());
    }
    int made = calls.get("/down").get();
    // Without a budget: 50 × (1 + 3 retries) = 200 calls. With 10 % + 1/s over 10 s: 50 + 10 + 5 at most.
    System.out.println("upstream down, 50 requests with 3 retries each allowed: " + made + " calls");
    assertTrue(made >= requests && made <= requests + 10 + 5 + 1, "calls made: " + made);
    HttpResponse<Buffer> last = get("/aggregate/down");
    assertTrue(only(last, "errors").getString("detail").contains("retry budget"), last.bodyAsString());
  }

  @Test
  void aFailingUpstreamTripsTheBreakerThenCallsFailFastUntilAProbeCloses() throws Exception {
    for (int i = 0; i < 3; i++) {
      assertEquals(502, get("/aggregate/breaker").statusCode());
    }
    int before = calls.get("/breaker").get();
    HttpResponse<Buffer> fast = get("/aggregate/breaker");
    assertEquals(503, fast.statusCode(), fast.bodyAsString());
    assertEquals("1", fast.getHeader("Retry-After"), "the next probe goes within resetMs (400 ms): 1 s, rounded up");
    assertEquals("circuit_open", only(fast, "errors").getString("kind"));
    assertTrue(only(fast, "sources").getBoolean("shortCircuited"));
    assertTrue(only(fast, "sources").getLong("ms") < 5, "failed fast: " + only(fast, "sources").getLong("ms") + " ms");
    assertEquals(before, calls.get("/breaker").get(), "an open breaker does not call the upstream");
    HttpResponse<Buffer> ready = get("/health/ready");
    assertEquals(200, ready.statusCode(), "an open breaker does not make gather unready");
    assertEquals("open", ready.bodyAsJsonObject().getJsonObject("checks").getJsonObject("circuitBreakers")
        .getString("breaker"));

    breakerUpstreamDown.set(false);
    Await.until("the breaker to be ready for a probe (past resetMs)", Duration.ofSeconds(5),
        () -> "half_open".equals(get("/health/ready").bodyAsJsonObject().getJsonObject("checks")
            .getJsonObject("circuitBreakers").getString("breaker")));
    HttpResponse<Buffer> probe = get("/aggregate/breaker");
    assertEquals(200, probe.statusCode(), probe.bodyAsString());
    assertEquals("closed", get("/health/ready").bodyAsJsonObject().getJsonObject("checks")
        .getJsonObject("circuitBreakers").getString("breaker"));
    assertTrue(get("/metrics").bodyAsString().contains("gather_upstream_circuit_opened_total{upstream=\"breaker\"} 1.0"));
  }

  @Test
  void hedgingCutsTheTailWhenOneAnswerInThreeIsSlow() throws Exception {
    long[] plain = latencies("/aggregate/unhedged", 30);
    long[] hedged = latencies("/aggregate/hedged", 30);
    System.out.printf("one slow replica in three, 30 requests: p50/p99 without hedging %d/%d ms, "
        + "with hedgeAfterMs 30: %d/%d ms%n", plain[15], plain[29], hedged[15], hedged[29]);
    assertTrue(plain[29] >= 300, "the slow replica shows without hedging");
    assertTrue(hedged[29] < 200, "hedged p99: " + hedged[29] + " ms");
    HttpResponse<Buffer> response = get("/aggregate/hedged");
    assertTrue(response.bodyAsJsonObject().getJsonObject("sources").getJsonObject("only").containsKey("hedged"));
  }

  private static long[] latencies(String uri, int count) throws Exception {
    long[] ms = new long[count];
    for (int i = 0; i < count; i++) {
      long began = System.nanoTime();
      assertEquals(200, get(uri).statusCode());
      ms[i] = (System.nanoTime() - began) / 1_000_000;
    }
    Arrays.sort(ms);
    return ms;
  }

  @Test
  void aHundredIdenticalConcurrentRequestsMakeOneUpstreamCall() throws Exception {
    // 100 connections, so that the requests really are in flight together.
    WebClient client = WebClient.create(app.vertx, new WebClientOptions().setDefaultHost("127.0.0.1")
        .setDefaultPort(app.port), new PoolOptions().setHttp1MaxSize(100));
    List<Future<HttpResponse<Buffer>>> answers = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      answers.add(client.get("/aggregate/coalesced?key=k1")
          .putHeader("Authorization", "Bearer same").send());
    }
    // The upstream holds its answer until the other 99 requests have joined the first one's call (or 10 s).
    Await.value("the other 99 requests to join the first one's call", Duration.ofSeconds(10),
        () -> get("/metrics").bodyAsString().lines()
            .filter(line -> line.startsWith("gather_upstream_coalesced_total{upstream=\"coalesced\"}")).findFirst()
            .orElse("no coalesced calls"),
        line -> line.endsWith(" 99.0"));
    sharedRelease.tryComplete();
    int coalesced = 0;
    for (Future<HttpResponse<Buffer>> answer : answers) {
      HttpResponse<Buffer> response = answer.await(15, TimeUnit.SECONDS);
      assertEquals(200, response.statusCode(), response.bodyAsString());
      coalesced += only(response, "sources").getBoolean("coalesced") ? 1 : 0;
    }
    client.close();
    assertEquals(1, calls.get("/shared/k1").get(), "upstream calls for 100 identical requests");
    assertEquals(99, coalesced);
  }

  @Test
  void callsWithDifferentAuthorizationAreNeverCoalesced() throws Exception {
    Future<HttpResponse<Buffer>> ada = app.client.get("/aggregate/coalesced?key=k2")
        .putHeader("Authorization", "Bearer ada").send();
    Future<HttpResponse<Buffer>> bob = app.client.get("/aggregate/coalesced?key=k2")
        .putHeader("Authorization", "Bearer bob").send();
    assertEquals(200, ada.await(15, TimeUnit.SECONDS).statusCode());
    assertEquals(200, bob.await(15, TimeUnit.SECONDS).statusCode());
    assertEquals(2, calls.get("/shared/k2").get());
  }

  @Test
  void aClientThatLeavesCancelsItsUpstreamCallsAndNoDependentSourceStarts() throws Exception {
    hangClosed.set(false);
    try (Socket socket = new Socket("127.0.0.1", app.port)) {
      OutputStream out = socket.getOutputStream();
      out.write(("GET " + "/aggregate/hanging" + " HTTP/1.1\r\nHost: gather\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      Await.until("the upstream call to be made", Duration.ofSeconds(5), () -> hangsOpen.get() > 0);
      assertEquals(1, hangsOpen.get(), "the upstream call was made");
    }
    Await.until("the upstream to see its connection closed when the client left", Duration.ofSeconds(5),
        hangClosed::get);
    // A dependent source would start as the cancelled call ends, in the same turn of the event loop that
    // counts that call: once it is counted, a started dependent source would be in flight.
    String metrics = Await.value("the cancelled call to be counted", Duration.ofSeconds(5),
        () -> get("/metrics").bodyAsString(),
        m -> m.contains("gather_upstream_call_seconds_count{outcome=\"cancelled\",upstream=\"hanging\"} "));
    assertTrue(metrics.contains("gather_upstream_in_flight{upstream=\"hanging\"} 0.0"), "a dependent source started");
    assertFalse(calls.keySet().stream().anyMatch(p -> p.startsWith("/after")), "a dependent source started");
  }
}
