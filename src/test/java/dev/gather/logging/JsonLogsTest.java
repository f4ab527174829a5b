package dev.gather.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gather.Await;
import dev.gather.RunningGather;
import dev.gather.config.LogConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * {@code log.format: json}, read from what gather really writes to standard output: one JSON object per line,
 * ordinary lines and access lines alike, with the request's ids at the top level.
 */
class JsonLogsTest {
  /** ISO-8601 with date, milliseconds and zone, in UTC. */
  private static final Pattern TIME = Pattern.compile("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z");

  private static StandardOutput output;
  private static Vertx upstreamVertx;
  private static HttpServer upstream;
  private static RunningGather app;

  @BeforeAll
  static void start() throws Exception {
    output = StandardOutput.capture();
    upstreamVertx = Vertx.vertx();
    upstream = upstreamVertx.createHttpServer()
        .requestHandler(request -> request.response().putHeader("Content-Type", "application/json")
            .end("{\"id\":1}"))
        .listen(0, "127.0.0.1").await(5, TimeUnit.SECONDS);
    app = RunningGather.start(new JsonObject()
        .put("log", new JsonObject().put("format", "json"))
        .put("upstreams", new JsonObject()
            .put("users", new JsonObject().put("url", "http://127.0.0.1:" + upstream.actualPort())))
        .put("aggregates", new JsonObject()
            .put("profile", new JsonObject().put("path", "/aggregate/profile/:id").put("sources", new JsonObject()
                .put("user", new JsonObject().put("upstream", "users").put("path", "/users/{id}"))))));
  }

  @AfterAll
  static void stop() throws Exception {
    try {
      app.close();
      upstreamVertx.close().await(10, TimeUnit.SECONDS);
    } finally {
      Logs.use(LogConfig.Format.TEXT);
      output.close();
    }
  }

  @Test
  void everyLineWrittenIsOneJsonObjectWithTimeLevelLoggerAndMessage() throws Exception {
    LoggerFactory.getLogger(JsonLogsTest.class).info("a line with \"quotes\"\nand a second line");
    JsonObject line = Await.value("the test's own line", Duration.ofSeconds(10),
        () -> objects().stream().filter(o -> JsonLogsTest.class.getName().equals(o.getString("logger")))
            .findFirst().orElse(null), o -> o != null);
    assertEquals("INFO", line.getString("level"));
    assertEquals("a line with \"quotes\"\nand a second line", line.getString("message"));
    assertTrue(TIME.matcher(line.getString("time")).matches(), line.encode());
    for (String text : lines()) {
      try {
        JsonObject object = new JsonObject(text);
        assertTrue(TIME.matcher(String.valueOf(object.getValue("time"))).matches(), text);
        assertNotNull(object.getString("level"), text);
        assertNotNull(object.getString("logger"), text);
      } catch (DecodeException e) {
        throw new AssertionError("not one JSON object: " + text, e);
      }
    }
  }

  @Test
  void anAccessLineNamesMethodRouteStatusBytesMsClientAggregateAndRequestId() throws Exception {
    int status = app.client.get("/aggregate/profile/7").putHeader("X-Request-Id", "json-access").send()
        .await(10, TimeUnit.SECONDS).statusCode();
    assertEquals(200, status);
    JsonObject line = accessLine("json-access");
    assertEquals("gather.access", line.getString("logger"));
    assertEquals("INFO", line.getString("level"));
    assertTrue(TIME.matcher(line.getString("time")).matches(), line.encode());
    assertEquals("GET", line.getString("method"));
    assertEquals("/aggregate/profile/:id", line.getString("route"));
    assertEquals("/aggregate/profile/7", line.getString("path"));
    assertEquals(200, line.getInteger("status"));
    assertTrue(line.getLong("bytes") > 0, line.encode());
    assertTrue(line.getLong("ms") >= 0, line.encode());
    assertEquals("127.0.0.1", line.getString("client"));
    assertEquals("profile", line.getString("aggregate"));
    assertEquals("GET /aggregate/profile/7 200", line.getString("message"));
  }

  @Test
  void aRouteThatIsNoAggregateHasNoAggregateField() throws Exception {
    app.client.get("/health/live").putHeader("X-Request-Id", "json-live").send().await(10, TimeUnit.SECONDS);
    JsonObject line = accessLine("json-live");
    assertEquals("/health/live", line.getString("route"));
    assertFalse(line.containsKey("aggregate"), line.encode());
  }

  @Test
  void everyRequestOfABurstGetsExactlyOneAccessObject() throws Exception {
    List<Future<?>> sent = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      sent.add(app.client.get("/health/live").putHeader("X-Request-Id", "json-burst-" + i).send());
    }
    Future.all(sent).await(20, TimeUnit.SECONDS);
    Map<String, Long> perId = Await.value("an access object for each of the 200 requests", Duration.ofSeconds(10),
        () -> objects().stream()
            .filter(o -> "gather.access".equals(o.getString("logger")))
            .map(o -> o.getString("request_id"))
            .filter(id -> id != null && id.startsWith("json-burst-"))
            .collect(Collectors.groupingBy(Function.identity(), Collectors.counting())),
        counts -> counts.size() == 200);
    assertTrue(perId.values().stream().allMatch(n -> n == 1), "one object per request: " + perId);
  }

  /**
   * Two requests logged from the same event loop while both are under way: each line names its own request,
   * and a line written outside any request names none.
   */
  @Test
  void aLineLoggedWhileServingARequestCarriesThatRequestsIdAndNoOther() throws Exception {
    HttpServer server = app.vertx.createHttpServer().requestHandler(request -> {
      String id = request.getHeader("X-Request-Id");
      RequestLogFields.bind(RequestLogFields.REQUEST_ID, id);
      // The reply comes from a timer, as an upstream's answer would: the id must follow the request there.
      app.vertx.setTimer(50, t -> {
        LoggerFactory.getLogger("gather.test.served").info("serving {}", id);
        request.response().end();
      });
    }).listen(0, "127.0.0.1").await(5, TimeUnit.SECONDS);
    WebClient client = WebClient.create(app.vertx);
    try {
      Future.all(client.get(server.actualPort(), "127.0.0.1", "/").putHeader("X-Request-Id", "first").send(),
          client.get(server.actualPort(), "127.0.0.1", "/").putHeader("X-Request-Id", "second").send())
          .await(10, TimeUnit.SECONDS);
      app.vertx.runOnContext(v -> LoggerFactory.getLogger("gather.test.served").info("outside"));
      List<JsonObject> served = Await.value("the three lines", Duration.ofSeconds(10),
          () -> objects().stream().filter(o -> "gather.test.served".equals(o.getString("logger"))).toList(),
          lines -> lines.size() == 3);
      for (JsonObject line : served) {
        String message = line.getString("message");
        if (message.equals("outside")) {
          assertFalse(line.containsKey("request_id"), line.encode());
        } else {
          assertEquals(message.substring("serving ".length()), line.getString("request_id"), line.encode());
        }
      }
    } finally {
      client.close();
      server.close().await(5, TimeUnit.SECONDS);
    }
  }

  private static JsonObject accessLine(String requestId) throws Exception {
    return Await.value("the access line of " + requestId, Duration.ofSeconds(10),
        () -> objects().stream().filter(o -> "gather.access".equals(o.getString("logger"))
            && requestId.equals(o.getString("request_id"))).findFirst().orElse(null), o -> o != null);
  }

  private static List<String> lines() {
    return output.lines();
  }

  private static List<JsonObject> objects() {
    return lines().stream().map(JsonObject::new).toList();
  }
}
