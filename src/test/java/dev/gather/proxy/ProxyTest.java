package dev.gather.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gather.Await;
import dev.gather.RunningGather;
import dev.gather.http.RawHttp;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The proxy against a real upstream with a base path, and a second server it must never be made to reach. */
class ProxyTest {
  private static Vertx servers;
  private static HttpServer upstream;
  private static HttpServer elsewhere;
  private static RunningGather app;
  private static final List<String> upstreamSaw = new CopyOnWriteArrayList<>();
  private static final AtomicInteger elsewhereHits = new AtomicInteger();
  private static volatile Promise<Void> release = Promise.promise();
  private static final AtomicBoolean upstreamFinished = new AtomicBoolean();
  private static final AtomicBoolean upstreamSawClose = new AtomicBoolean();
  private static final AtomicBoolean deafSawClose = new AtomicBoolean();
  private static final AtomicBoolean deafSawEnd = new AtomicBoolean();
  private static volatile Runnable hearAgain = () -> { };
  private static final AtomicInteger uploadStarted = new AtomicInteger();
  private static final long UPLOAD_IDLE_MS = 300;

  @BeforeAll
  static void start() throws Exception {
    servers = Vertx.vertx();
    upstream = servers.createHttpServer().requestHandler(request -> {
      upstreamSaw.add(request.uri());
      String path = request.path();
      if (path.equals("/api/echo")) {
        request.body().onSuccess(body -> {
          JsonObject headers = new JsonObject();
          request.headers().forEach(h -> headers.put(h.getKey().toLowerCase(), h.getValue()));
          request.response()
              .putHeader("Content-Type", "application/json")
              .putHeader("X-Upstream", "kept")
              .putHeader("X-Request-Id", String.valueOf(request.getHeader("X-Request-Id")))
              .putHeader("Proxy-Authenticate", "Basic realm=upstream")
              .putHeader("Upgrade", "h2c")
              .end(new JsonObject().put("method", request.method().name()).put("uri", request.uri())
                  .put("bytes", body.length()).put("headers", headers).toBuffer());
        });
      } else if (path.equals("/api/stream")) {
        upstreamFinished.set(false);
        request.response().setChunked(true).write("first\n");
        release.future().onComplete(done -> {
          upstreamFinished.set(true);
          request.response().end("last\n");
        });
      } else if (path.equals("/api/upload")) {
        AtomicInteger bytes = new AtomicInteger();
        request.handler(chunk -> {
          if (bytes.getAndAdd(chunk.length()) == 0) {
            release.tryComplete(); // the first part arrived while the client still holds back the rest
          }
        });
        request.endHandler(v -> request.response().end(String.valueOf(bytes.get())));
      } else if (path.equals("/api/download")) {
        request.response().putHeader("Content-Length", String.valueOf(3 * 1024 * 1024))
            .end(Buffer.buffer(new byte[3 * 1024 * 1024]));
      } else if (path.equals("/api/hang")) {
        request.connection().closeHandler(v -> upstreamSawClose.set(true));
        request.handler(chunk -> uploadStarted.incrementAndGet());
      } else if (path.equals("/api/deaf")) {
        request.handler(chunk -> { });
        request.endHandler(v -> deafSawEnd.set(true));
        request.pause(); // reads nothing of the body until the test lets it (a paused reader cannot see a close)
        request.connection().closeHandler(v -> deafSawClose.set(true));
        io.vertx.core.Context context = servers.getOrCreateContext();
        hearAgain = () -> context.runOnContext(v -> request.resume());
      } else {
        request.response().setStatusCode(404).end();
      }
    }).listen(0, "127.0.0.1").await(5, TimeUnit.SECONDS);
    elsewhere = servers.createHttpServer().requestHandler(request -> {
      elsewhereHits.incrementAndGet();
      request.response().end("you should not be here");
    }).listen(0, "127.0.0.1").await(5, TimeUnit.SECONDS);

    app = RunningGather.start(new JsonObject().put("upstreams", new JsonObject()
        .put("api", new JsonObject().put("url", "http://127.0.0.1:" + upstream.actualPort() + "/api").put("timeoutMs", 500))
        .put("bare", new JsonObject().put("url", "http://127.0.0.1:" + upstream.actualPort() + "/api")
            .put("forwardCredentials", new io.vertx.core.json.JsonArray().add("Cookie")))
        .put("stingy", new JsonObject().put("url", "http://127.0.0.1:" + upstream.actualPort() + "/api")
            .put("timeoutMs", 5000).put("uploadIdleTimeoutMs", UPLOAD_IDLE_MS))
        .put("dead", new JsonObject().put("url", "http://127.0.0.1:" + RunningGather.freePort()))
        .put("fragile", new JsonObject().put("url", "http://127.0.0.1:" + RunningGather.freePort())
            .put("circuitBreaker", new JsonObject().put("failures", 1).put("resetMs", 60_000)))));
  }

  @AfterAll
  static void stop() throws Exception {
    app.close();
    servers.close().await(10, TimeUnit.SECONDS);
  }

  @BeforeEach
  void reset() {
    release = Promise.promise();
  }

  @Test
  void forwardsTheMethodPathQueryAndBodyUnderTheUpstreamsBasePath() throws Exception {
    HttpResponse<Buffer> response = app.client.post("/proxy/api/echo?x=1&y=two")
        .putHeader("X-Request-Id", "proxy-1").sendJsonObject(new JsonObject().put("hello", "world"))
        .await(10, TimeUnit.SECONDS);
    assertEquals(200, response.statusCode(), response.bodyAsString());
    JsonObject echo = response.bodyAsJsonObject();
    assertEquals("POST", echo.getString("method"));
    assertEquals("/api/echo?x=1&y=two", echo.getString("uri"));
    assertEquals(17, echo.getInteger("bytes"));
    assertEquals("proxy-1", echo.getJsonObject("headers").getString("x-request-id"));
    assertEquals("127.0.0.1", echo.getJsonObject("headers").getString("x-forwarded-for"));
    assertEquals("kept", response.getHeader("X-Upstream"));
    assertEquals(List.of("proxy-1"), response.headers().getAll("X-Request-Id"), "the upstream's echo is not repeated");
  }

  @Test
  void hopByHopHeadersAreDroppedBothWays() throws Exception {
    String answer = raw("GET /proxy/api/echo HTTP/1.1\r\nHost: gather\r\nConnection: keep-alive, X-Private-Hop\r\n"
        + "X-Private-Hop: 1\r\nProxy-Authorization: Basic c2VjcmV0\r\nKeep-Alive: timeout=5\r\nTE: trailers\r\n"
        + "X-End-To-End: yes\r\nConnection: close\r\n\r\n");
    assertTrue(answer.startsWith("HTTP/1.1 200"), answer);
    JsonObject sent = new JsonObject(answer.substring(answer.indexOf("\r\n\r\n") + 4)).getJsonObject("headers");
    assertEquals("yes", sent.getString("x-end-to-end"));
    for (String hop : new String[] {"x-private-hop", "proxy-authorization", "keep-alive", "te"}) {
      assertNull(sent.getString(hop), hop + " reached the upstream");
    }
    String head = answer.substring(0, answer.indexOf("\r\n\r\n")).toLowerCase();
    assertFalse(head.contains("proxy-authenticate"), head);
    assertFalse(head.contains("upgrade"), head);
    assertTrue(head.contains("x-upstream: kept"), head);
  }

  @Test
  void credentialsAreForwardedAsFarAsTheUpstreamsForwardCredentialsSays() throws Exception {
    String all = "Host: gather\r\nAuthorization: Bearer t\r\nCookie: s=1\r\nX-Api-Key: k\r\nConnection: close\r\n\r\n";
    JsonObject byDefault = echoed(raw("GET /proxy/api/echo HTTP/1.1\r\n" + all));
    assertEquals("Bearer t", byDefault.getString("authorization"));
    assertEquals("s=1", byDefault.getString("cookie"));
    assertNull(byDefault.getValue("x-api-key"), "gather's own API key is not a pass-through credential by default");
    JsonObject onlyCookie = echoed(raw("GET /proxy/bare/echo HTTP/1.1\r\n" + all));
    assertNull(onlyCookie.getValue("authorization"));
    assertEquals("s=1", onlyCookie.getString("cookie"));
    assertNull(onlyCookie.getValue("x-api-key"));
  }

  @Test
  void theTimeoutStartsOnceASlowUploadHasBeenSent() throws Exception {
    // The upload takes three times the upstream's 500 ms timeout, moving all along; the echo answers at once.
    try (Socket socket = new Socket("127.0.0.1", app.port)) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write(("POST /proxy/api/echo HTTP/1.1\r\nHost: gather\r\nContent-Length: 15\r\nConnection: close\r\n\r\n")
          .getBytes(StandardCharsets.ISO_8859_1));
      paced(out, 15, 100).get(10, TimeUnit.SECONDS);
      String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
      assertTrue(answer.startsWith("HTTP/1.1 200"), answer);
      assertEquals(15, new JsonObject(answer.substring(answer.indexOf("\r\n\r\n") + 4)).getInteger("bytes"));
    }
  }

  @Test
  void aClientWhoseUploadStallsPastUploadIdleTimeoutMsGets408AndTheUpstreamRequestIsReset() throws Exception {
    upstreamSawClose.set(false);
    uploadStarted.set(0);
    try (Socket socket = new Socket("127.0.0.1", app.port)) {
      OutputStream out = socket.getOutputStream();
      out.write(("POST /proxy/stingy/hang HTTP/1.1\r\nHost: gather\r\nContent-Length: 100\r\n\r\n0123456789")
          .getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      Await.until("the upstream to get the first bytes", Duration.ofSeconds(5), () -> uploadStarted.get() > 0);
      long began = System.nanoTime();
      RawHttp.Outcome outcome = new RawHttp(socket).read(began + TimeUnit.SECONDS.toNanos(5), true);
      long ms = (System.nanoTime() - began) / 1_000_000;
      assertTrue(outcome.answer() != null, "no answer before the connection closed");
      assertEquals(408, outcome.answer().status(), outcome.answer().body());
      assertEquals("application/problem+json", outcome.answer().header("content-type"));
      JsonObject problem = new JsonObject(outcome.answer().body());
      assertEquals("urn:gather:problem:upload-timeout", problem.getString("type"));
      assertTrue(problem.getString("detail").contains("upstreams.stingy.uploadIdleTimeoutMs"), problem.encode());
      assertEquals("close", outcome.answer().header("connection"));
      assertTrue(outcome.closed(), "the connection stayed open with the rest of the body unread");
      assertTrue(ms < UPLOAD_IDLE_MS + 2000, "answered after " + ms + " ms");
    }
    Await.until("the upstream to see its request reset", Duration.ofSeconds(5), upstreamSawClose::get);
  }

  @Test
  void anUpstreamThatStopsReadingTheUploadIsCutAtUploadIdleTimeoutMsWith504() throws Exception {
    deafSawClose.set(false);
    deafSawEnd.set(false);
    long announced = 1L << 30;
    try (Socket socket = new Socket("127.0.0.1", app.port)) {
      OutputStream out = socket.getOutputStream();
      out.write(("POST /proxy/stingy/deaf HTTP/1.1\r\nHost: gather\r\nContent-Length: " + announced + "\r\n\r\n")
          .getBytes(StandardCharsets.ISO_8859_1));
      AtomicLong sent = new AtomicLong();
      Thread writer = new Thread(() -> { // fills every buffer on the way until the upstream's refusal stops it
        byte[] chunk = new byte[64 * 1024];
        try {
          while (sent.get() < announced) {
            out.write(chunk);
            sent.addAndGet(chunk.length);
          }
        } catch (java.io.IOException closed) {
          // gather closed the connection: expected
        }
      });
      writer.setDaemon(true);
      writer.start();
      RawHttp.Outcome outcome = new RawHttp(socket).read(System.nanoTime() + TimeUnit.SECONDS.toNanos(20), true);
      assertTrue(outcome.answer() != null, "no answer before the connection closed, after " + sent.get() + " bytes");
      assertEquals(504, outcome.answer().status(), outcome.answer().body());
      assertEquals("application/problem+json", outcome.answer().header("content-type"));
      assertTrue(new JsonObject(outcome.answer().body()).getString("detail").contains("read nothing of the upload"),
          outcome.answer().body());
      assertTrue(outcome.closed(), "the connection stayed open with the rest of the body unread");
      assertTrue(sent.get() < announced / 4, "gather took " + sent.get() + " bytes");
    }
    hearAgain.run(); // reading again, the upstream finds the request cut short, not ended
    Await.until("the upstream to see its request reset", Duration.ofSeconds(5), deafSawClose::get);
    assertFalse(deafSawEnd.get(), "the upstream saw the cut request end as if complete");
  }

  @Test
  void anUnknownUpstreamIs404() throws Exception {
    HttpResponse<Buffer> response = app.client.get("/proxy/nosuch/x").send().await(10, TimeUnit.SECONDS);
    assertEquals(404, response.statusCode());
    assertEquals("application/problem+json", response.getHeader("Content-Type"));
    assertTrue(response.bodyAsJsonObject().getString("detail").contains("nosuch"));
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "/proxy/api//ELSEWHERE/x",
      "/proxy/api/../admin",
      "/proxy/api/a/../../admin",
      "/proxy/api/./admin",
      "/proxy/api/%2e%2e/admin",
      "/proxy/api/%2E%2E/admin",
      "/proxy/api/.%2e/admin",
      "/proxy/api/%252e%252e/admin",
      "/proxy/api/..%2fadmin",
      "/proxy/api/a%2F..%2F..%2Fadmin",
      "/proxy/api/..%5cadmin",
      "/proxy/api/..\\admin",
      "/proxy/api/@ELSEWHERE/x",
      "/proxy/api/x@ELSEWHERE",
      "/proxy/api/http://ELSEWHERE/x",
      "/proxy/api/http:%2f%2fELSEWHERE/x",
      "/proxy/api/x%0d%0aHost:%20ELSEWHERE",
      "/proxy/api/x?q=%0d%0aHost:%20ELSEWHERE",
      "/proxy/../admin",
      "/x/../proxy/api/../admin",
      "http://ELSEWHERE/proxy/api/echo",
      "http://ELSEWHERE/proxy/api/../../admin"})
  void anEscapeIsRefusedBeforeAnythingIsSent(String target) throws Exception {
    upstreamSaw.clear();
    String elsewhereHost = "127.0.0.1:" + elsewhere.actualPort();
    String answer = raw("GET " + target.replace("ELSEWHERE", elsewhereHost) + " HTTP/1.1\r\nHost: gather\r\n"
        + "Connection: close\r\n\r\n");
    assertTrue(answer.startsWith("HTTP/1.1 400"), answer);
    assertEquals(0, elsewhereHits.get(), "another server was reached");
    assertEquals(List.of(), upstreamSaw, "the upstream was called");
  }

  @Test
  void aHeaderWithABareCarriageReturnIsRefused() throws Exception {
    upstreamSaw.clear();
    String answer = raw("GET /proxy/api/echo HTTP/1.1\r\nHost: gather\r\nX-Split: a\rHost: elsewhere\r\n"
        + "Connection: close\r\n\r\n");
    assertTrue(answer.startsWith("HTTP/1.1 400"), answer);
    assertEquals(List.of(), upstreamSaw);
  }

  @Test
  void theAnswerStreamsToTheClientBeforeTheUpstreamHasFinished() throws Exception {
    HttpClient client = app.vertx.createHttpClient();
    Promise<String> body = Promise.promise();
    StringBuilder received = new StringBuilder();
    AtomicBoolean firstBeforeUpstreamEnd = new AtomicBoolean();
    // The handlers are set on send()'s own future, on an event loop, so that they are in place before the response
    // can deliver its first chunk: a step further down the chain (or a callback on the test thread) can run after a
    // chunk that came with the headers, which Vert.x would drop, and the test would hang.
    app.vertx.runOnContext(start -> client.request(HttpMethod.GET, app.port, "127.0.0.1", "/proxy/api/stream")
        .compose(request -> request.send()
            .onSuccess(response -> {
              response.handler(chunk -> {
                if (received.isEmpty()) {
                  firstBeforeUpstreamEnd.set(!upstreamFinished.get());
                  release.tryComplete();
                }
                received.append(chunk.toString());
              });
              response.exceptionHandler(body::tryFail);
              response.endHandler(v -> body.tryComplete(received.toString()));
            }))
        .onFailure(body::tryFail));
    assertEquals("first\nlast\n", body.future().await(10, TimeUnit.SECONDS));
    assertTrue(firstBeforeUpstreamEnd.get(), "the first bytes arrived only after the upstream had finished");
    client.close();
  }

  @Test
  void theRequestBodyStreamsToTheUpstreamBeforeTheClientHasFinished() throws Exception {
    HttpClient client = app.vertx.createHttpClient();
    String answer = client.request(new RequestOptions().setMethod(HttpMethod.POST).setPort(app.port)
            .setHost("127.0.0.1").setURI("/proxy/api/upload"))
        .compose(request -> {
          request.setChunked(true).write("part one;");
          // The rest goes only once the upstream has the first part: a buffering proxy would wait forever.
          release.future().onSuccess(v -> request.end("part two"));
          return request.response();
        })
        .compose(HttpClientResponse::body).await(10, TimeUnit.SECONDS).toString();
    assertEquals("17", answer);
    client.close();
  }

  @Test
  void bodiesLargerThanHttpMaxBodyBytesStreamThroughBothWays() throws Exception {
    HttpResponse<Buffer> up = app.client.post("/proxy/api/upload")
        .sendBuffer(Buffer.buffer(new byte[3 * 1024 * 1024])).await(20, TimeUnit.SECONDS);
    assertEquals("3145728", up.bodyAsString());
    HttpResponse<Buffer> down = app.client.get("/proxy/api/download").send().await(20, TimeUnit.SECONDS);
    assertEquals(3 * 1024 * 1024, down.body().length());
  }

  @Test
  void anUpstreamThatDoesNotAnswerInTimeIs504AndItsRequestIsCut() throws Exception {
    upstreamSawClose.set(false);
    long began = System.nanoTime();
    HttpResponse<Buffer> response = app.client.get("/proxy/api/hang").send().await(10, TimeUnit.SECONDS);
    long ms = (System.nanoTime() - began) / 1_000_000;
    assertEquals(504, response.statusCode());
    assertEquals("application/problem+json", response.getHeader("Content-Type"));
    assertTrue(ms < 2000, "answered after " + ms + " ms against a 500 ms timeout");
    Await.until("the upstream to see its connection closed", Duration.ofSeconds(5), upstreamSawClose::get);
  }

  @Test
  void anUpstreamThatRefusesConnectionsIs502() throws Exception {
    HttpResponse<Buffer> response = app.client.get("/proxy/dead/x").send().await(10, TimeUnit.SECONDS);
    assertEquals(502, response.statusCode());
    assertEquals("application/problem+json", response.getHeader("Content-Type"));
  }

  @Test
  void anOpenBreakerIs503CircuitOpenWithRetryAfterAtItsNextProbe() throws Exception {
    HttpResponse<Buffer> refused = app.client.get("/proxy/fragile/x").send().await(10, TimeUnit.SECONDS);
    assertEquals(502, refused.statusCode(), "one failure opens this breaker");
    assertEquals("urn:gather:problem:connect", refused.bodyAsJsonObject().getString("type"));
    assertNull(refused.getHeader("Retry-After"));

    HttpResponse<Buffer> open = app.client.get("/proxy/fragile/x").send().await(10, TimeUnit.SECONDS);
    assertEquals(503, open.statusCode(), open.bodyAsString());
    assertEquals("urn:gather:problem:circuit-open", open.bodyAsJsonObject().getString("type"));
    long seconds = Long.parseLong(open.getHeader("Retry-After"));
    assertTrue(seconds > 55 && seconds <= 60, "the next probe goes within resetMs (60 s): " + seconds);
  }

  private static JsonObject echoed(String answer) {
    assertTrue(answer.startsWith("HTTP/1.1 200"), answer);
    return new JsonObject(answer.substring(answer.indexOf("\r\n\r\n") + 4)).getJsonObject("headers");
  }

  /** Exact bytes on a socket: an HTTP client library would clean up what these tests need to send. */
  private static String raw(String request) throws Exception {
    try (Socket socket = new Socket("127.0.0.1", app.port)) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write(request.getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      InputStream in = socket.getInputStream();
      return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
    }
  }

  /** Writes {@code count} bytes, one every {@code periodMs} on a timer; completes after the last one is sent. */
  private static CompletableFuture<Void> paced(OutputStream out, int count, long periodMs) {
    CompletableFuture<Void> sent = new CompletableFuture<>();
    ScheduledExecutorService pacer = Executors.newSingleThreadScheduledExecutor();
    AtomicInteger written = new AtomicInteger();
    pacer.scheduleAtFixedRate(() -> {
      try {
        out.write('x');
        out.flush();
        if (written.incrementAndGet() == count) {
          sent.complete(null);
        }
      } catch (IOException e) {
        sent.completeExceptionally(e);
      }
    }, 0, periodMs, TimeUnit.MILLISECONDS);
    return sent.whenComplete((done, failed) -> pacer.shutdownNow());
  }
}
