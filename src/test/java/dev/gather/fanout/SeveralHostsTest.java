package dev.gather.fanout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gather.Await;
import dev.gather.RunningGather;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
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
 * An upstream of three hosts, each a real loopback server: one failing host is ejected and gets no calls until
 * its time has passed; a retry goes to another host than the one that failed; readiness and metrics show the
 * hosts. Each upstream name is used by one test only.
 */
class SeveralHostsTest {
  private static final int EJECT_MS = 700;

  private static Vertx servers;
  private static final List<HttpServer> hosts = new ArrayList<>();
  /** Calls each host got, by host index. */
  private static final List<AtomicInteger> calls = new ArrayList<>();
  /** The hosts each request id reached, for the retry test. */
  private static final Map<String, List<Integer>> reached = new ConcurrentHashMap<>();
  private static final AtomicBoolean secondFails = new AtomicBoolean(true);
  private static final AtomicBoolean eighthDown = new AtomicBoolean(true);
  private static RunningGather app;

  @BeforeAll
  static void start() throws Exception {
    servers = Vertx.vertx();
    for (int i = 0; i < 14; i++) {
      int index = i;
      calls.add(new AtomicInteger());
      hosts.add(servers.createHttpServer().requestHandler(request -> {
        if (request.path().equals("/healthz") && index == 10) { // host 10's health check never answers
          return;
        }
        if (request.path().equals("/healthz")) { // host 7 says it is down until told otherwise
          request.response().setStatusCode(index == 7 && eighthDown.get() ? 503 : 200).end();
          return;
        }
        calls.get(index).incrementAndGet();
        reached.computeIfAbsent(String.valueOf(request.getHeader("X-Request-Id")), id -> new java.util.Vector<>())
            .add(index);
        if (index == 1 && secondFails.get() || index == 3) { // host 1 until told otherwise; host 3 always
          request.response().setStatusCode(503).end();
        } else if (index == 13) { // fails every proxied request
          request.response().setStatusCode(502).end();
        } else if (index == 4 || index == 5) { // the healthy hosts of the retry test answer slowly, so they stay busy
          servers.setTimer(50, t -> request.response().end("{\"host\":" + index + "}"));
        } else {
          request.response().end("{\"host\":" + index + "}");
        }
      }).listen(0, "127.0.0.1").await(5, TimeUnit.SECONDS));
    }
    JsonObject upstreams = new JsonObject()
        .put("spread", new JsonObject().put("urls", urls(0, 1, 2)).put("ejectAfterFailures", 3)
            .put("ejectMs", EJECT_MS))
        .put("retried", new JsonObject().put("urls", urls(3, 4, 5)).put("retries", 2).put("retryBackoffMs", 1)
            .put("ejectAfterFailures", 1000).put("retryBudget", new JsonObject().put("minPerSecond", 10_000)))
        .put("checked", new JsonObject().put("urls", urls(6, 7, 8)).put("healthPath", "/healthz")
            .put("healthIntervalMs", 200).put("healthTimeoutMs", 200))
        .put("proxied", new JsonObject().put("urls", urls(11, 12, 13)).put("ejectAfterFailures", 2))
        .put("hanging", new JsonObject().put("urls", urls(9, 10)).put("healthPath", "/healthz")
            .put("healthIntervalMs", 200).put("healthTimeoutMs", 100));
    JsonObject aggregates = new JsonObject()
        .put("checked", one("checked"))
        .put("spread", one("spread"))
        .put("retried", one("retried"));
    app = RunningGather.start(new JsonObject().put("upstreams", upstreams).put("aggregates", aggregates));
  }

  private static JsonArray urls(int... indexes) {
    JsonArray urls = new JsonArray();
    for (int index : indexes) {
      urls.add("http://127.0.0.1:" + hosts.get(index).actualPort());
    }
    return urls;
  }

  private static String label(int index) {
    return "127.0.0.1:" + hosts.get(index).actualPort();
  }

  private static JsonObject one(String upstream) {
    return new JsonObject().put("deadlineMs", 3000).put("sources", new JsonObject().put("only",
        new JsonObject().put("upstream", upstream).put("path", "/item").put("required", true)));
  }

  @AfterAll
  static void stop() throws Exception {
    app.close();
    servers.close().await(10, TimeUnit.SECONDS);
  }

  private static HttpResponse<Buffer> get(String uri) throws Exception {
    return app.client.get(uri).send().await(15, TimeUnit.SECONDS);
  }

  private static String hostState(String upstream, int index) throws Exception {
    JsonObject checks = get("/health/ready").bodyAsJsonObject().getJsonObject("checks");
    return checks.getJsonObject("upstreamHosts").getJsonObject(upstream).getJsonObject(label(index))
        .getString("state");
  }

  private static String metrics() throws Exception {
    return get("/metrics").bodyAsString();
  }

  @Test
  void aFailingHostIsEjectedSoEveryCallGoesToTheOtherTwoUntilItsTimeHasPassed() throws Exception {
    long ejectedBy = 0;
    while (calls.get(1).get() < 3) { // sequential calls are spread in turn: host 1 fails every third
      get("/aggregate/spread");
      ejectedBy = System.nanoTime();
    }
    assertEquals("ejected", hostState("spread", 1));
    assertTrue(metrics().contains("gather_upstream_host_state{host=\"" + label(1) + "\",upstream=\"spread\"} 1.0"));
    assertTrue(metrics().contains("gather_upstream_host_ejections_total{host=\"" + label(1)
        + "\",upstream=\"spread\"} 1.0"));
    secondFails.set(false);
    int before = calls.get(1).get();
    int othersBefore = calls.get(0).get() + calls.get(2).get();

    for (int i = 0; i < 12; i++) {
      assertEquals(200, get("/aggregate/spread").statusCode());
    }

    assertEquals(before, calls.get(1).get(), "the ejected host got no call");
    assertEquals(othersBefore + 12, calls.get(0).get() + calls.get(2).get());
    Await.until("the ejected host to be called again", Duration.ofSeconds(10), () -> {
      get("/aggregate/spread");
      return calls.get(1).get() > before;
    });
    assertTrue((System.nanoTime() - ejectedBy) / 1_000_000 >= EJECT_MS - 50, "it came back after ejectMs");
    assertEquals("up", hostState("spread", 1));
  }

  @Test
  void aRetryGoesToAnotherHostThanTheOneThatFailed() throws Exception {
    // Host 3 fails at once while the others take 50 ms, so it is the least busy: only the preference for an
    // untried host keeps a retry off it.
    List<Future<HttpResponse<Buffer>>> responses = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      responses.add(app.client.get("/aggregate/retried").send());
    }
    for (Future<HttpResponse<Buffer>> response : responses) {
      assertEquals(200, response.await(15, TimeUnit.SECONDS).statusCode());
    }

    assertTrue(calls.get(3).get() > 0, "the failing host was tried");
    reached.forEach((id, indexes) -> {
      if (indexes.contains(3) || indexes.contains(4) || indexes.contains(5)) {
        assertTrue(indexes.stream().filter(i -> i == 3).count() <= 1, "request " + id + " reached " + indexes);
      }
    });
  }

  @Test
  void aHostItsHealthCheckFindsDownGetsNoCallsUntilItIsFoundUpAgain() throws Exception {
    Await.until("host 7 to be found down", Duration.ofSeconds(10), () -> hostState("checked", 7).equals("down"));
    assertTrue(metrics().contains("gather_upstream_host_state{host=\"" + label(7) + "\",upstream=\"checked\"} 2.0"));

    for (int i = 0; i < 9; i++) {
      assertEquals(200, get("/aggregate/checked").statusCode());
    }

    assertEquals(0, calls.get(7).get());
    assertEquals(9, calls.get(6).get() + calls.get(8).get());
    eighthDown.set(false);
    Await.until("host 7 to be found up", Duration.ofSeconds(10), () -> hostState("checked", 7).equals("up"));
    Await.until("host 7 to be called", Duration.ofSeconds(10), () -> {
      get("/aggregate/checked");
      return calls.get(7).get() > 0;
    });
  }

  @Test
  void aHostWhoseHealthCheckDoesNotAnswerWithinHealthTimeoutMsIsFoundDown() throws Exception {
    Await.until("host 10 to be found down", Duration.ofSeconds(10), () -> hostState("hanging", 10).equals("down"));

    assertEquals("up", hostState("hanging", 9));
  }

  @Test
  void theProxySpreadsRequestsOverTheHostsAndEjectsOneThatFails() throws Exception {
    for (int i = 0; i < 9; i++) {
      get("/proxy/proxied/item");
    }
    // The proxy tells the host picker how a try went once the answer is relayed: after the client has it.
    Await.until("host 13 to be ejected", Duration.ofSeconds(10), () -> hostState("proxied", 13).equals("ejected"));
    int before = calls.get(11).get() + calls.get(12).get();

    for (int i = 0; i < 6; i++) {
      assertEquals(200, get("/proxy/proxied/item").statusCode());
    }

    assertEquals(before + 6, calls.get(11).get() + calls.get(12).get());
    assertTrue(calls.get(11).get() > 0 && calls.get(12).get() > 0, "both healthy hosts were used");
  }

  @Test
  void readinessListsEveryHostOfAnUpstreamWithSeveral() throws Exception {
    JsonObject hostsOfRetried = get("/health/ready").bodyAsJsonObject().getJsonObject("checks")
        .getJsonObject("upstreamHosts").getJsonObject("retried");

    assertEquals(java.util.Set.of(label(3), label(4), label(5)), hostsOfRetried.fieldNames());
    assertEquals("up", hostsOfRetried.getJsonObject(label(4)).getString("state"));
  }
}
