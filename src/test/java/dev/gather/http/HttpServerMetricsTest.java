package dev.gather.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.gather.Await;
import dev.gather.RunningGather;
import dev.gather.metrics.HttpServerMeters;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.vertx.core.http.HttpMethod;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The HTTP server's own meters: each request counted once, by route template, method and status. */
class HttpServerMetricsTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static RunningGather app;

  @BeforeAll
  static void start() {
    app = RunningGather.start();
  }

  @AfterAll
  static void stop() throws Exception {
    app.close();
  }

  @Test
  void aRequestCountsUnderItsRouteTemplateMethodAndStatus() throws Exception {
    double before = answered("/", "GET", 200);
    assertEquals(200, send(HttpMethod.GET, "/?x=1"));
    Await.until("GET / counted under route \"/\"", WAIT, () -> answered("/", "GET", 200) == before + 1);
  }

  @Test
  void aRequestThatFailsInsideItsRouteCountsUnderThatRoute() throws Exception {
    double before = answered("/users/:id", "GET", 400);
    assertEquals(400, send(HttpMethod.GET, "/users/not-a-number"));
    Await.until("the 400 counted under /users/:id", WAIT, () -> answered("/users/:id", "GET", 400) == before + 1);
  }

  @Test
  void unmatchedPathsShareOneRouteValue() throws Exception {
    double before = answered(HttpServerMeters.UNMATCHED, "GET", 404);
    assertEquals(404, send(HttpMethod.GET, "/no/such/path/8c1f"));
    assertEquals(404, send(HttpMethod.GET, "/another/unknown/path"));
    Await.until("both counted under the one unmatched route", WAIT,
        () -> answered(HttpServerMeters.UNMATCHED, "GET", 404) == before + 2);
  }

  @Test
  void aMethodHttpDoesNotDefineCountsAsOther() throws Exception {
    double before = answered(HttpServerMeters.UNMATCHED, "_OTHER", 405);
    assertEquals(405, send(HttpMethod.valueOf("BREW"), "/"));
    Await.until("BREW counted as _OTHER", WAIT,
        () -> answered(HttpServerMeters.UNMATCHED, "_OTHER", 405) == before + 1);
  }

  @Test
  void activeRequestsRiseWhileARequestIsInFlightAndFallWhenItIsAnswered() throws Exception {
    String body = "{\"email\":\"in-flight@example.com\",\"name\":\"In Flight\"}";
    try (Socket socket = new Socket("127.0.0.1", app.port)) {
      OutputStream out = socket.getOutputStream();
      out.write(("POST /users HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: "
          + body.length() + "\r\n\r\n" + body.substring(0, 10)).getBytes(StandardCharsets.UTF_8));
      out.flush();
      Await.until("one POST in flight", WAIT, () -> active("POST") == 1);

      out.write(body.substring(10).getBytes(StandardCharsets.UTF_8));
      out.flush();
      BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
      assertEquals("HTTP/1.1 201 Created", in.readLine());
      Await.until("no POST in flight", WAIT, () -> active("POST") == 0);
    }
  }

  @Test
  void openConnectionsAreCountedUntilTheyClose() throws Exception {
    double before = gauge("vertx.http.server.active.connections");
    try (Socket socket = new Socket("127.0.0.1", app.port)) {
      // Vert.x knows the connection once its first bytes tell HTTP/1.1 from HTTP/2; it stays open (keep-alive).
      socket.getOutputStream().write("GET /health/live HTTP/1.1\r\nHost: localhost\r\n\r\n"
          .getBytes(StandardCharsets.UTF_8));
      BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
      assertEquals("HTTP/1.1 200 OK", in.readLine());
      Await.until("one more connection open", WAIT, () -> gauge("vertx.http.server.active.connections") == before + 1);
    }
    Await.until("the connection counted closed", WAIT, () -> gauge("vertx.http.server.active.connections") == before);
  }

  private static int send(HttpMethod method, String uri) throws Exception {
    return app.client.request(method, uri).send().await(10, TimeUnit.SECONDS).statusCode();
  }

  private static double answered(String route, String method, int status) {
    FunctionCounter counter = app.registry.find("vertx.http.server.requests")
        .tags("route", route, "method", method, "code", Integer.toString(status)).functionCounter();
    return counter == null ? 0 : counter.count();
  }

  private static double gauge(String name) {
    return app.registry.get(name).gauge().value();
  }

  private static double active(String method) {
    Gauge gauge = app.registry.find("vertx.http.server.active.requests").tag("method", method).gauge();
    return gauge == null ? 0 : gauge.value();
  }
}
