package dev.gather.fanout;

import static dev.gather.fanout.TestAggregates.source;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gather.Await;
import dev.gather.RunningGather;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Streamed aggregate answers ({@code Accept: application/x-ndjson} or {@code text/event-stream}) against real
 * loopback upstreams: a fast source's event reaches the client while a slow one is still held by its upstream.
 */
class StreamingTest {
  private static final String NDJSON = "application/x-ndjson";
  private static final int BIG_BYTES = 2_500_000;
  private static Vertx upstreamVertx;
  private static HttpServer upstream;
  private static RunningGather app;
  private static final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();
  /** The slow upstream's requests, by the token in their path, until the test releases them. */
  private static final Map<String, HttpServerRequest> held = new ConcurrentHashMap<>();
  private static final Set<String> heldClosed = ConcurrentHashMap.newKeySet();
  private static final Map<String, AtomicInteger> bigServed = new ConcurrentHashMap<>();

  @BeforeAll
  static void start() throws Exception {
    upstreamVertx = Vertx.vertx();
    Router router = Router.router(upstreamVertx);
    // Pretty-printed on purpose: its line breaks must not break an event's line.
    router.get("/fast").handler(ctx -> ctx.response().putHeader("Content-Type", "application/json")
        .end("{\n  \"id\": 1,\n  \"name\": \"fast\"\n}\n"));
    router.get("/slow/:token").handler(ctx -> {
      String token = ctx.pathParam("token");
      ctx.request().connection().closeHandler(closed -> heldClosed.add(token));
      held.put(token, ctx.request());
    });
    router.get("/hang").handler(ctx -> { });
    router.get("/status/:code").handler(ctx -> ctx.response().setStatusCode(Integer.parseInt(ctx.pathParam("code")))
        .end("{}"));
    router.get("/big/:token/:n").handler(ctx -> ctx.json(new JsonObject().put("n", ctx.pathParam("n"))
            .put("blob", "x".repeat(BIG_BYTES)))
        .onSuccess(sent -> bigServed.computeIfAbsent(ctx.pathParam("token"), t -> new AtomicInteger()).incrementAndGet()));
    upstream = upstreamVertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1").await(5, TimeUnit.SECONDS);
    String base = "http://127.0.0.1:" + upstream.actualPort();

    JsonObject fast = source("/fast");
    JsonObject bigs = new JsonObject();
    for (int i = 0; i < 4; i++) {
      bigs.put("big" + i, new JsonObject().put("upstream", "bulk").put("path", "/big/{token}/" + i));
    }
    JsonObject config = new JsonObject()
        .put("upstreams", new JsonObject()
            .put("test", new JsonObject().put("url", base).put("timeoutMs", 10_000))
            .put("bulk", new JsonObject().put("url", base).put("timeoutMs", 10_000).put("maxBodyBytes", 4_000_000)))
        .put("aggregates", new JsonObject()
            .put("page", aggregate("/aggregate/page/:token", 10_000, new JsonObject()
                .put("fast", fast.copy()).put("slow", source("/slow/{token}"))))
            .put("deadline", aggregate("/aggregate/deadline", 3000, new JsonObject()
                .put("fast", fast.copy()).put("hang", source("/hang").put("required", true).put("timeoutMs", 300))))
            .put("resource", aggregate("/aggregate/resource", 3000, new JsonObject()
                .put("profile", source("/status/404").put("required", true).put("passStatus", new JsonArray().add(404)))
                .put("fast", fast.copy())))
            .put("partial", aggregate("/aggregate/partial", 3000, new JsonObject()
                .put("fast", fast.copy()).put("down", source("/status/500")).put("skipped", source("/fast")
                    .put("when", "params.all == 'yes'"))))
            .put("badShape", aggregate("/aggregate/badShape", 3000, new JsonObject().put("fast", fast.copy()))
                .put("shape", "abs(fast.name)"))
            .put("shaped", aggregate("/aggregate/shaped", 3000, new JsonObject()
                .put("fast", fast.copy().put("select", "{who: name}"))
                .put("other", fast.copy().put("allow", new JsonArray().add("id"))))
                .put("envelope", false).put("shape", "{who: fast.who, id: other.id}"))
            .put("bulky", aggregate("/aggregate/bulky/:token", 10_000, bigs.copy()))
            .put("bulkyShort", aggregate("/aggregate/bulkyShort/:token", 3000, bigs.copy())));
    app = RunningGather.start(config);
  }

  private static JsonObject aggregate(String path, int deadlineMs, JsonObject sources) {
    return new JsonObject().put("path", path).put("deadlineMs", deadlineMs).put("sources", sources);
  }

  @AfterAll
  static void stop() throws Exception {
    app.close();
    upstreamVertx.close().await(10, TimeUnit.SECONDS);
  }

  private static HttpRequest request(String uri, String accept) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.port + uri)).header("Accept", accept)
        .timeout(Duration.ofSeconds(20)).build();
  }

  private static List<JsonObject> lines(String uri) throws Exception {
    HttpResponse<Stream<String>> response = http.send(request(uri, NDJSON), HttpResponse.BodyHandlers.ofLines());
    assertEquals(200, response.statusCode(), "a stream is 200 once its head is out; the end event tells");
    try (Stream<String> lines = response.body()) {
      return lines.map(JsonObject::new).toList();
    }
  }

  /** The status the same request gets unstreamed. */
  private static int unstreamedStatus(String uri) throws Exception {
    return app.client.get(uri).send().await(10, TimeUnit.SECONDS).statusCode();
  }

  private static void release(String token) {
    HttpServerRequest request = held.get(token);
    upstreamVertx.runOnContext(v -> request.response().putHeader("Content-Type", "application/json")
        .end("{\"slow\":true}"));
  }

  @Test
  void theFastSourcesEventArrivesWhileTheSlowOneIsStillHeldUpstream() throws Exception {
    String token = "causality";
    long sent = System.nanoTime();
    HttpResponse<Stream<String>> response = http.send(request("/aggregate/page/" + token, NDJSON),
        HttpResponse.BodyHandlers.ofLines());
    assertEquals(NDJSON, response.headers().firstValue("Content-Type").orElse(null));
    assertEquals("no-store", response.headers().firstValue("Cache-Control").orElse(null));
    try (Stream<String> body = response.body()) {
      Iterator<String> lines = body.iterator();
      JsonObject first = new JsonObject(lines.next());
      long firstEventMs = (System.nanoTime() - sent) / 1_000_000;
      // The slow upstream answers only when this test says so, and it has not yet: the event came first.
      Await.until("the slow call to reach its upstream", Duration.ofSeconds(5), () -> held.containsKey(token));
      assertFalse(heldClosed.contains(token), "the slow call is still open, not timed out");
      assertEquals("fast", first.getString("source"), first.encode());
      assertEquals(200, first.getInteger("status"));
      assertEquals(new JsonObject().put("id", 1).put("name", "fast"), first.getJsonObject("data"),
          "the upstream's line breaks became spaces, its data is intact");
      assertEquals(false, first.getBoolean("cached"));
      assertTrue(first.containsKey("ms"));
      long released = System.nanoTime();
      release(token);
      JsonObject second = new JsonObject(lines.next());
      long slowEventMs = (System.nanoTime() - sent) / 1_000_000;
      assertEquals("slow", second.getString("source"));
      assertEquals(new JsonObject().put("slow", true), second.getJsonObject("data"));
      assertTrue(firstEventMs <= (released - sent) / 1_000_000, "the first event came before the slow answer");
      JsonObject end = new JsonObject(lines.next());
      assertEquals(new JsonObject().put("complete", true).put("status", 200), end);
      assertFalse(lines.hasNext(), "the end event ends the stream");
      System.out.printf("time to first event %d ms; slow source's event at %d ms%n", firstEventMs, slowEventMs);
    }
  }

  @Test
  void theEndEventCarries504WhenARequiredSourceTimesOut() throws Exception {
    List<JsonObject> events = lines("/aggregate/deadline");
    assertEquals(3, events.size(), events.toString());
    assertEquals("fast", events.get(0).getString("source"), "the fast source first, as it settled");
    JsonObject hang = events.get(1);
    assertEquals("hang", hang.getString("source"));
    assertEquals("timeout", hang.getJsonObject("error").getString("kind"));
    assertFalse(hang.containsKey("data"));
    JsonObject end = events.get(2);
    assertEquals(504, end.getInteger("status"));
    assertFalse(end.getBoolean("complete"));
    assertTrue(end.getString("detail").startsWith("required source hang (timeout: "), end.getString("detail"));
    assertEquals(504, unstreamedStatus("/aggregate/deadline"));
  }

  @Test
  void theEndEventCarriesTheStatusTheUnstreamedAnswerHas() throws Exception {
    for (String uri : List.of("/aggregate/resource", "/aggregate/partial", "/aggregate/badShape")) {
      List<JsonObject> events = lines(uri);
      JsonObject end = events.get(events.size() - 1);
      assertEquals(unstreamedStatus(uri), end.getInteger("status"), uri + ": " + end.encode());
    }
    JsonObject resource = lines("/aggregate/resource").stream().filter(e -> e.containsKey("status")
        && !e.containsKey("source")).findFirst().orElseThrow();
    assertEquals(404, resource.getInteger("status"), "the required source's 404 is passed on");
    assertTrue(resource.getString("detail").startsWith("source profile: "), resource.encode());
  }

  @Test
  void failedSkippedAndAnsweredSourcesEachHaveTheirEvent() throws Exception {
    List<JsonObject> events = lines("/aggregate/partial");
    assertEquals(4, events.size(), events.toString());
    JsonObject down = events.stream().filter(e -> "down".equals(e.getString("source"))).findFirst().orElseThrow();
    assertEquals(500, down.getInteger("status"));
    assertEquals("status", down.getJsonObject("error").getString("kind"));
    JsonObject skipped = events.stream().filter(e -> "skipped".equals(e.getString("source"))).findFirst().orElseThrow();
    assertTrue(skipped.getBoolean("skipped"));
    assertFalse(skipped.containsKey("data") || skipped.containsKey("error"), skipped.encode());
    assertEquals(new JsonObject().put("complete", false).put("status", 200), events.get(3));
  }

  @Test
  void aShapedAggregateStreamsEachSourcesSelectedDataAndEndsWithTheShape() throws Exception {
    List<JsonObject> events = lines("/aggregate/shaped");
    assertEquals(3, events.size(), events.toString());
    JsonObject fast = events.stream().filter(e -> "fast".equals(e.getString("source"))).findFirst().orElseThrow();
    assertEquals(new JsonObject().put("who", "fast"), fast.getJsonObject("data"), "the source's select applied");
    JsonObject other = events.stream().filter(e -> "other".equals(e.getString("source"))).findFirst().orElseThrow();
    assertEquals(new JsonObject().put("id", 1), other.getJsonObject("data"), "the source's allow applied");
    assertEquals(new JsonObject().put("complete", true).put("status", 200)
        .put("data", new JsonObject().put("who", "fast").put("id", 1)), events.get(2));
  }

  @Test
  void serverSentEventsNameEachEventAndKeepItsDataOnOneLine() throws Exception {
    HttpResponse<String> response = http.send(request("/aggregate/shaped", "text/event-stream"),
        HttpResponse.BodyHandlers.ofString());
    assertEquals("text/event-stream; charset=utf-8", response.headers().firstValue("Content-Type").orElse(null));
    String[] events = response.body().split("\n\n", -1);
    assertEquals(4, events.length, "three events, each ended by an empty line: " + response.body());
    assertEquals("", events[3]);
    for (int i = 0; i < 3; i++) {
      String[] lines = events[i].split("\n");
      assertEquals(2, lines.length, events[i]);
      assertEquals(i < 2 ? "event: source" : "event: end", lines[0]);
      assertTrue(lines[1].startsWith("data: {"), lines[1]);
      new JsonObject(lines[1].substring("data: ".length()));
    }
  }

  @Test
  void withoutAStreamingAcceptTheAnswerIsTheUsualOne() throws Exception {
    for (String accept : List.of("*/*", "application/json", "application/json, application/x-ndjson;q=0.5",
        "application/x-ndjson;q=0")) {
      HttpResponse<String> response = http.send(request("/aggregate/partial", accept),
          HttpResponse.BodyHandlers.ofString());
      assertEquals("application/json", response.headers().firstValue("Content-Type").orElse(null), accept);
      assertFalse(new JsonObject(response.body()).getBoolean("complete"), accept);
    }
    HttpResponse<String> preferred = http.send(request("/aggregate/partial",
        "application/json;q=0.5, text/event-stream"), HttpResponse.BodyHandlers.ofString());
    assertTrue(preferred.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
  }

  @Test
  void aClientThatLeavesCancelsTheSlowUpstreamCall() throws Exception {
    String token = "leaving";
    try (Socket socket = new Socket("127.0.0.1", app.port)) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write(("GET /aggregate/page/" + token + " HTTP/1.1\r\nHost: gather\r\nAccept: " + NDJSON + "\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      String seen = readUntil(socket.getInputStream(), "\"source\":\"fast\"");
      assertTrue(seen.startsWith("HTTP/1.1 200"), seen);
      Await.until("the slow call to reach its upstream", Duration.ofSeconds(5), () -> held.containsKey(token));
      assertFalse(heldClosed.contains(token));
    }
    Await.until("the slow upstream to see its connection closed when the client left", Duration.ofSeconds(5),
        () -> heldClosed.contains(token));
  }

  @Test
  void aSlowReaderHoldsTheWritesNotTheUpstreamCalls() throws Exception {
    String token = "slowReader";
    double callsBefore = bulkCallsAnswered();
    try (Socket socket = unreadSocket()) {
      send(socket, "/aggregate/bulky/" + token);
      // Four answers of 2.5 MB each are far more than the socket buffers hold while nobody reads; gather has
      // read each upstream answer to its end (the call is counted ok) all the same.
      Await.until("every upstream call to be answered and read while the client reads nothing",
          Duration.ofSeconds(10), () -> bulkCallsAnswered() == callsBefore + 4);
      String answer = readAll(socket.getInputStream());
      for (int i = 0; i < 4; i++) {
        assertTrue(answer.contains("{\"source\":\"big" + i + "\",\"status\":200"), "big" + i + " has its event");
      }
      assertTrue(answer.contains("{\"complete\":true,\"status\":200}\n"), "and the end came after them");
      assertTrue(answer.length() > 4 * BIG_BYTES, "every byte: " + answer.length());
    }
  }

  @Test
  void aReaderThatStopsIsCutOffAfterTheDeadline() throws Exception {
    String token = "stalled";
    io.micrometer.core.instrument.Gauge connections = app.registry.find("vertx.http.server.active.connections")
        .gauge();
    double before = connections.value();
    try (Socket socket = unreadSocket()) {
      send(socket, "/aggregate/bulkyShort/" + token);
      Await.until("the connection to be counted", Duration.ofSeconds(5), () -> connections.value() == before + 1);
      Await.until("every upstream call to be answered", Duration.ofSeconds(10),
          () -> bigServed.getOrDefault(token, new AtomicInteger()).get() == 4);
      // deadlineMs (3000) after the last source settled, gather gives up on a reader that took nothing.
      Await.until("gather to close the stalled connection", Duration.ofSeconds(10),
          () -> connections.value() == before);
      String answer;
      try {
        answer = readAll(socket.getInputStream());
      } catch (IOException reset) {
        answer = "";
      }
      assertFalse(answer.contains("{\"complete\":"), "the end event never came: the answer was cut; read "
          + answer.length() + " chars ending " + answer.substring(Math.max(0, answer.length() - 200)));
    }
  }

  private static double bulkCallsAnswered() {
    io.micrometer.core.instrument.Timer calls = app.registry.find("gather.upstream.call")
        .tags("upstream", "bulk", "outcome", "ok").timer();
    return calls == null ? 0 : calls.count();
  }

  /** A socket whose receive buffer is small, so that what it does not read stays in gather. */
  private static Socket unreadSocket() throws IOException {
    Socket socket = new Socket();
    socket.setReceiveBufferSize(4096);
    socket.connect(new InetSocketAddress("127.0.0.1", app.port), 5000);
    socket.setSoTimeout(20_000);
    return socket;
  }

  private static void send(Socket socket, String uri) throws IOException {
    socket.getOutputStream().write(("GET " + uri + " HTTP/1.1\r\nHost: gather\r\nAccept: " + NDJSON
        + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
    socket.getOutputStream().flush();
  }

  private static String readUntil(InputStream in, String wanted) throws IOException {
    ByteArrayOutputStream seen = new ByteArrayOutputStream();
    byte[] chunk = new byte[4096];
    while (!seen.toString(StandardCharsets.UTF_8).contains(wanted)) {
      int n = in.read(chunk);
      if (n < 0) {
        throw new AssertionError("the stream ended before " + wanted + ": " + seen);
      }
      seen.write(chunk, 0, n);
    }
    return seen.toString(StandardCharsets.UTF_8);
  }

  private static String readAll(InputStream in) throws IOException {
    return new String(in.readAllBytes(), StandardCharsets.UTF_8);
  }
}
