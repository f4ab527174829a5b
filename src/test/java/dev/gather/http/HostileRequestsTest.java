package dev.gather.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.gather.RunningGather;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The corpus of malformed and hostile requests ({@code http/hostile-requests.txt}), each on its own raw socket:
 * every one gets a complete answer or a closed connection within a second, never a 5xx, never a stack trace,
 * and a 4xx answer is problem+json with a request id.
 */
class HostileRequestsTest {
  private static final String CORPUS = "/http/hostile-requests.txt";
  private static final Pattern BLOCK = Pattern.compile("^### (.+?) -> (\\S+)( close)?$");
  private static RunningGather app;

  @BeforeAll
  static void start() {
    app = RunningGather.start(new JsonObject().put("upstreams", new JsonObject()
        .put("nowhere", new JsonObject().put("url", "http://127.0.0.1:" + RunningGather.freePort()))));
  }

  @AfterAll
  static void stop() throws Exception {
    app.close();
  }

  record Case(String name, String expected, boolean close, byte[] bytes) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Arguments> corpus() throws IOException {
    List<Arguments> cases = new ArrayList<>();
    String text;
    try (InputStream in = HostileRequestsTest.class.getResourceAsStream(CORPUS)) {
      text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    String name = null;
    String expected = null;
    boolean close = false;
    StringBuilder raw = new StringBuilder();
    for (String line : (text + "\n### end -> any").split("\n")) {
      Matcher block = BLOCK.matcher(line);
      if (block.matches()) {
        if (name != null) {
          cases.add(Arguments.of(new Case(name, expected, close, bytes(raw.toString()))));
        }
        name = block.group(1);
        expected = block.group(2);
        close = block.group(3) != null;
        raw.setLength(0);
      } else if (name != null && !line.isEmpty()) {
        raw.append(line);
      }
    }
    return cases.stream();
  }

  /** The corpus's escapes: \r, \n, \t, \xHH, and {N*text} for text repeated N times. */
  static byte[] bytes(String source) {
    Matcher repeat = Pattern.compile("\\{(\\d+)\\*(.*?)}").matcher(source);
    StringBuilder expanded = new StringBuilder();
    while (repeat.find()) {
      repeat.appendReplacement(expanded, Matcher.quoteReplacement(repeat.group(2).repeat(Integer.parseInt(repeat.group(1)))));
    }
    repeat.appendTail(expanded);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    String s = expanded.toString();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\' && i + 1 < s.length()) {
        char next = s.charAt(++i);
        switch (next) {
          case 'r' -> out.write('\r');
          case 'n' -> out.write('\n');
          case 't' -> out.write('\t');
          case 'x' -> {
            out.write(Integer.parseInt(s.substring(i + 1, i + 3), 16));
            i += 2;
          }
          default -> {
            out.write('\\');
            out.write(next);
          }
        }
      } else {
        out.write(c);
      }
    }
    return out.toByteArray();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("corpus")
  void everyHostileRequestEndsWithinASecondWithoutA5xx(Case hostile) throws Exception {
    try (Socket socket = new Socket("127.0.0.1", app.port)) {
      OutputStream out = socket.getOutputStream();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
      try {
        out.write(hostile.bytes());
        out.flush();
      } catch (SocketException closedWhileSending) {
        // refused before all was sent: what it answered is still to be read
      }
      RawHttp.Outcome outcome = new RawHttp(socket).read(deadline, hostile.close());
      assertFalse(outcome.timedOut(), "neither an answer nor a closed connection within a second");
      RawHttp.Answer answer = outcome.answer();
      if (answer == null) {
        assertTrue(outcome.closed());
        if (!hostile.expected().equals("any")) {
          fail("closed without an answer; expected " + hostile.expected());
        }
        return;
      }
      assertTrue(answer.status() < 500, "a 5xx for bad input: " + answer.status() + " " + answer.body());
      assertFalse(answer.body().contains("Exception") || answer.body().contains("\tat "), "a stack trace: "
          + answer.body());
      switch (hostile.expected()) {
        case "any" -> { }
        case "4xx" -> assertTrue(answer.status() >= 400 && answer.status() < 500, "status " + answer.status());
        default -> assertEquals(Integer.parseInt(hostile.expected()), answer.status(), answer.body());
      }
      if (answer.status() >= 400) {
        assertEquals("application/problem+json", answer.header("content-type"), answer.body());
        JsonObject problem = new JsonObject(answer.body());
        assertNotNull(problem.getString("requestId"), answer.body());
        assertEquals(answer.header("x-request-id"), problem.getString("requestId"));
        assertTrue(problem.getString("requestId").matches("[A-Za-z0-9._:\\-]{1,128}"), problem.getString("requestId"));
        assertEquals(answer.status(), problem.getInteger("status"));
      }
      if (hostile.close()) {
        assertTrue(outcome.closed(), "the connection stayed open after " + answer.status());
      }
    }
  }
}
