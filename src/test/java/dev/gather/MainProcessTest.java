package dev.gather;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MainProcessTest {
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @Test
  void aBadEnvironmentValueStopsTheStartWithExitCode1NamingTheKey() throws Exception {
    try (GatherProcess gather = GatherProcess.start(Map.of(
        "GATHER_DB_URL", TestDatabase.fresh(), "GATHER_DB_POOL_SIZE", "zero"))) {
      assertEquals(1, gather.awaitExit(Duration.ofSeconds(30)));
      assertTrue(gather.output().contains("db.poolSize = \"zero\": not a whole number"), gather.output());
      assertTrue(!gather.output().contains("\tat "), "no stack trace for a configuration mistake");
    }
  }

  @Test
  void aConfFileThatDoesNotExistStopsTheStartWithExitCode1() throws Exception {
    try (GatherProcess gather = GatherProcess.start(Map.of(), "--conf", "/no/such/gather.json")) {
      assertEquals(1, gather.awaitExit(Duration.ofSeconds(30)));
      assertTrue(gather.output().contains("/no/such/gather.json: no such file"), gather.output());
    }
  }

  @Test
  void theConfFileIsUsedAndEnvironmentVariablesOverrideIt(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("gather.json"),
        "{\"http\": {\"port\": 1, \"instances\": 1}, \"db\": {\"url\": \"" + TestDatabase.fresh() + "\"}}");
    // GatherProcess sets GATHER_HTTP_PORT to a free port: the service must listen there, not on port 1.
    try (GatherProcess gather = GatherProcess.start(Map.of(), "--conf", file.toString())) {
      long readyMs = gather.awaitReady(Duration.ofSeconds(30));
      System.out.println("external database: ready " + readyMs + " ms after the process started");
    }
  }

  @Test
  void sigtermLetsAnInFlightRequestFinishRefusesNewOnesAndExits0() throws Exception {
    try (GatherProcess gather = GatherProcess.start(Map.of(
        "GATHER_DB_URL", TestDatabase.fresh(), "GATHER_SHUTDOWN_DRAIN_MS", "10000"))) {
      gather.awaitReady(Duration.ofSeconds(30));
      String body = "{\"email\":\"drain@example.com\",\"name\":\"Drained\"}";
      try (Socket socket = new Socket("127.0.0.1", gather.port)) {
        OutputStream out = socket.getOutputStream();
        out.write(("POST /users HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: "
            + body.length() + "\r\n\r\n" + body.substring(0, 10)).getBytes(StandardCharsets.UTF_8));
        out.flush();
        // The POST is in flight: its headers and part of its body arrived. Counted by method: a request answered
        // just before (readiness, a scrape) leaves the count only after its client has the answer, and would pass.
        Await.until("the request to be in flight", Duration.ofSeconds(10), () -> activeRequests(gather, "POST") >= 1);

        gather.process.destroy(); // SIGTERM
        Await.until("no new connections while draining", Duration.ofSeconds(10), () -> {
          try {
            new Socket("127.0.0.1", gather.port).close();
            return false;
          } catch (ConnectException refused) {
            return true;
          }
        });
        assertTrue(gather.process.isAlive(), "still draining");

        out.write(body.substring(10).getBytes(StandardCharsets.UTF_8));
        out.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
        assertEquals("HTTP/1.1 201 Created", in.readLine());
      }
      assertEquals(0, gather.awaitExit(Duration.ofSeconds(15)), gather.output());
      assertTrue(gather.output().contains("stopped cleanly"), gather.output());
    }
  }

  /** Requests with {@code method} the process has in flight now. */
  private static double activeRequests(GatherProcess gather, String method) throws Exception {
    String metrics = HTTP.send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + gather.port + "/metrics")).timeout(Duration.ofSeconds(5)).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    return metrics.lines().filter(line -> line.startsWith("vertx_http_server_active_requests{")
            && line.contains("method=\"" + method + "\""))
        .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1))).sum();
  }
}
