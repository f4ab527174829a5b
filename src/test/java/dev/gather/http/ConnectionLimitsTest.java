package dev.gather.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gather.RunningGather;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** What one client can hold, with short configured limits: slow heads, idle connections, stalled bodies, many connections. */
class ConnectionLimitsTest {
  private static final long HEADER_MS = 400;
  private static final long IDLE_MS = 600;
  private static final long BODY_MS = 400;
  private static RunningGather app;

  @BeforeAll
  static void start() {
    app = RunningGather.start(new JsonObject().put("http", new JsonObject()
        .put("headerTimeoutMs", HEADER_MS).put("idleTimeoutMs", IDLE_MS).put("bodyTimeoutMs", BODY_MS)));
  }

  @AfterAll
  static void stop() throws Exception {
    app.close();
  }

  @Test
  void aHeadTrickledLineByLineIs408AndClosedAtTheHeaderTimeout() throws Exception {
    try (Socket socket = new Socket("127.0.0.1", app.port)) {
      OutputStream out = socket.getOutputStream();
      long began = System.nanoTime();
      send(out, "GET / HTTP/1.1\r\nHost: gather\r\n");
      RawHttp.Outcome outcome = null;
      for (int line = 0; line < 20; line++) { // one header line every 100 ms: never complete, always moving
        try {
          send(out, "X-Trickle-" + line + ": 1\r\n");
        } catch (SocketException closed) {
          break;
        }
        outcome = new RawHttp(socket).read(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(100), true);
        if (outcome.answer() != null || outcome.closed()) {
          break;
        }
      }
      long ms = (System.nanoTime() - began) / 1_000_000;
      assertNotNull(outcome);
      assertNotNull(outcome.answer(), "no 408 before the connection closed");
      assertEquals(408, outcome.answer().status());
      assertEquals("application/problem+json", outcome.answer().header("content-type"));
      assertEquals("urn:gather:problem:header-timeout", new JsonObject(outcome.answer().body()).getString("type"));
      assertNotNull(new JsonObject(outcome.answer().body()).getString("requestId"));
      assertTrue(outcome.closed(), "the connection stayed open after the 408");
      assertTrue(ms >= HEADER_MS && ms < HEADER_MS + 1000, "answered after " + ms + " ms");
    }
  }

  @Test
  void aConnectionThatSendsNothingIsClosedAtTheIdleTimeout() throws Exception {
    try (Socket socket = new Socket("127.0.0.1", app.port)) {
      long began = System.nanoTime();
      RawHttp.Outcome outcome = new RawHttp(socket).read(began + TimeUnit.MILLISECONDS.toNanos(IDLE_MS + 1500), true);
      long ms = (System.nanoTime() - began) / 1_000_000;
      assertTrue(outcome.closed(), "still open after " + ms + " ms");
      assertNull(outcome.answer());
      assertTrue(ms >= IDLE_MS - 50, "closed after only " + ms + " ms");
    }
  }

  @Test
  void aKeepAliveConnectionIsClosedIdleTimeoutAfterItsLastAnswer() throws Exception {
    try (Socket socket = new Socket("127.0.0.1", app.port)) {
      RawHttp http = new RawHttp(socket);
      for (int i = 0; i < 3; i++) { // answered requests keep it open past the idle timeout
        send(socket.getOutputStream(), "GET /health/live HTTP/1.1\r\nHost: gather\r\n\r\n");
        RawHttp.Outcome outcome = http.read(System.nanoTime() + TimeUnit.SECONDS.toNanos(2), false);
        assertEquals(200, outcome.answer().status());
        assertTrue(http.quietUntil(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(IDLE_MS / 2)),
            "closed (or sent something) in the gap after answer " + (i + 1));
      }
      long answered = System.nanoTime();
      RawHttp.Outcome after = http.read(answered + TimeUnit.MILLISECONDS.toNanos(IDLE_MS + 1500), true);
      long ms = (System.nanoTime() - answered) / 1_000_000;
      assertTrue(after.closed(), "still open " + ms + " ms after the last answer");
      assertTrue(ms >= IDLE_MS / 2 - 100, "closed after only " + ms + " ms");
    }
  }

  @Test
  void aBodyThatStopsComingIs408AndClosedAtTheBodyTimeout() throws Exception {
    try (Socket socket = new Socket("127.0.0.1", app.port)) {
      long began = System.nanoTime();
      send(socket.getOutputStream(), "POST /users HTTP/1.1\r\nHost: gather\r\nContent-Type: application/json\r\n"
          + "Content-Length: 100\r\n\r\n{\"email\":");
      RawHttp.Outcome outcome = new RawHttp(socket).read(began + TimeUnit.MILLISECONDS.toNanos(BODY_MS + 1500), true);
      long ms = (System.nanoTime() - began) / 1_000_000;
      assertNotNull(outcome.answer(), "closed without an answer after " + ms + " ms");
      assertEquals(408, outcome.answer().status(), outcome.answer().body());
      assertEquals("urn:gather:problem:body-timeout", new JsonObject(outcome.answer().body()).getString("type"));
      assertTrue(outcome.closed());
      assertTrue(ms >= BODY_MS, "answered after only " + ms + " ms");
    }
  }

  @Test
  void aHugeBodyToARouteThatRefusesItIsAnsweredAndClosedWithoutBeingRead() throws Exception {
    long announced = 200L * 1024 * 1024;
    try (Socket socket = new Socket("127.0.0.1", app.port)) {
      OutputStream out = socket.getOutputStream();
      send(out, "PUT /health/live HTTP/1.1\r\nHost: gather\r\nContent-Length: " + announced + "\r\n\r\n");
      out.write(new byte[64 * 1024]);
      out.flush();
      RawHttp.Outcome outcome = new RawHttp(socket).read(System.nanoTime() + TimeUnit.SECONDS.toNanos(1), true);
      assertEquals(405, outcome.answer().status());
      assertEquals("close", outcome.answer().header("connection"));
      assertTrue(outcome.closed(), "the connection stayed open to read the rest");
      long sent = 64 * 1024;
      try { // the rest has nowhere to go: the peer is gone long before 200 MB
        byte[] chunk = new byte[1024 * 1024];
        while (sent < announced) {
          out.write(chunk);
          sent += chunk.length;
        }
      } catch (IOException gone) {
        // expected
      }
      assertTrue(sent < announced / 2, "gather took " + sent + " bytes of a refused body");
    }
  }

  @Test
  void aProblemAnswerToARequestWithoutABodyKeepsTheConnection() throws Exception {
    try (Socket socket = new Socket("127.0.0.1", app.port)) {
      RawHttp http = new RawHttp(socket);
      for (int i = 0; i < 2; i++) {
        send(socket.getOutputStream(), "GET /nowhere HTTP/1.1\r\nHost: gather\r\n\r\n");
        RawHttp.Outcome outcome = http.read(System.nanoTime() + TimeUnit.SECONDS.toNanos(2), false);
        assertEquals(404, outcome.answer().status());
        assertNull(outcome.answer().header("connection"));
      }
    }
  }

  @Test
  void connectionsOverMaxConnectionsAreClosedAtOnceAndCounted() throws Exception {
    try (RunningGather small = RunningGather.start(new JsonObject().put("http", new JsonObject()
        .put("maxConnections", 3).put("instances", 1)))) {
      small.client.close(); // its keep-alive connection would count as one of the three
      List<Socket> held = new ArrayList<>();
      try {
        Socket refused = null;
        for (int i = 0; i < 6 && refused == null; i++) {
          Socket socket = new Socket("127.0.0.1", small.port);
          held.add(socket);
          RawHttp.Outcome outcome = new RawHttp(socket).read(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(300), true);
          if (outcome.closed()) {
            refused = socket;
          }
        }
        assertNotNull(refused, "six connections held against a limit of three");
        assertTrue(held.size() <= 4, "refused only the " + held.size() + "th connection");
        Socket first = held.get(0);
        send(first.getOutputStream(), "GET /health/live HTTP/1.1\r\nHost: gather\r\n\r\n");
        assertEquals(200, new RawHttp(first).read(System.nanoTime() + TimeUnit.SECONDS.toNanos(2), false)
            .answer().status(), "the connections let in still work");
        double counted = small.registry.get("gather.http.connections.refused").counter().count();
        assertTrue(counted >= 1, "refused connections counted: " + counted);
      } finally {
        for (Socket socket : held) {
          socket.close();
        }
      }
    }
  }

  private static void send(OutputStream out, String text) throws IOException {
    out.write(text.getBytes(StandardCharsets.ISO_8859_1));
    out.flush();
  }
}
