package dev.gather.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import dev.gather.Await;
import dev.gather.RunningGather;
import io.vertx.core.Future;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The access log: one line per request, also when many requests finish in the same turn of an event loop. */
class AccessLogTest {
  private static final Pattern LINE = Pattern.compile(
      "\\d{2}:\\d{2}:\\d{2}\\.\\d{3} INFO  \\[[^\\]]+\\] gather\\.access - (\\S+) GET / 200 \\d+B \\d+ms client=127\\.0\\.0\\.1");

  private static RunningGather app;
  private static final ConcurrentLinkedQueue<String> messages = new ConcurrentLinkedQueue<>();
  private static final AppenderBase<ILoggingEvent> capture = new AppenderBase<>() {
    @Override
    protected void append(ILoggingEvent event) {
      messages.add(event.getFormattedMessage());
    }
  };

  @BeforeAll
  static void start() {
    capture.start();
    ((Logger) LoggerFactory.getLogger("gather.access")).addAppender(capture);
    app = RunningGather.start(new io.vertx.core.json.JsonObject()
        .put("queries", new io.vertx.core.json.JsonObject().put("one", "SELECT 1 AS n"))
        .put("aggregates", new io.vertx.core.json.JsonObject().put("counted", new io.vertx.core.json.JsonObject()
            .put("path", "/aggregate/counted")
            .put("sources", new io.vertx.core.json.JsonObject()
                .put("n", new io.vertx.core.json.JsonObject().put("query", "one"))))));
  }

  @AfterAll
  static void stop() throws Exception {
    ((Logger) LoggerFactory.getLogger("gather.access")).detachAppender(capture);
    app.close();
  }

  @Test
  void everyRequestOfABurstGetsExactlyOneLineWithItsId() throws Exception {
    List<Future<?>> sent = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      sent.add(app.client.get("/").putHeader("X-Request-Id", "burst-" + i).send());
    }
    Future.all(sent).toCompletionStage().toCompletableFuture().get();

    Map<String, Long> linesPerId = Await.value("an access line for each of the 300 requests", Duration.ofSeconds(10),
        AccessLogTest::linesPerBurstId, counts -> counts.size() == 300);
    assertTrue(linesPerId.values().stream().allMatch(n -> n == 1), "one line per request: " + linesPerId);
    assertTrue(messages.stream().anyMatch(message -> message.contains("\n")),
        "requests finishing together share one logging event");
  }

  @Test
  void aLineSaysTimeThreadIdMethodPathStatusBytesAndDuration() throws Exception {
    app.client.get("/").putHeader("X-Request-Id", "one-line").send().toCompletionStage().toCompletableFuture().get();
    String line = Await.value("the line of request one-line", Duration.ofSeconds(10),
        () -> lines().stream().filter(l -> l.contains(" one-line ")).findFirst().orElse(null), l -> l != null);
    Matcher matcher = LINE.matcher(line);
    assertTrue(matcher.matches(), line);
    assertEquals("one-line", matcher.group(1));
  }

  @Test
  void anAggregatesLineNamesTheAggregate() throws Exception {
    app.client.get("/aggregate/counted").putHeader("X-Request-Id", "counted-line").send()
        .toCompletionStage().toCompletableFuture().get();
    String line = Await.value("the line of request counted-line", Duration.ofSeconds(10),
        () -> lines().stream().filter(l -> l.contains(" counted-line ")).findFirst().orElse(null), l -> l != null);
    assertTrue(line.matches(".* counted-line GET /aggregate/counted 200 \\d+B \\d+ms client=127\\.0\\.0\\.1 aggregate=counted"),
        line);
  }

  @Test
  void linesStillCollectedWhenGatherStopsAreWritten() throws Exception {
    try (RunningGather stopping = RunningGather.start()) {
      List<Future<?>> sent = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        sent.add(stopping.client.get("/").putHeader("X-Request-Id", "last-" + i).send());
      }
      Future.all(sent).toCompletionStage().toCompletableFuture().get();
    } // closed at once, well within a flush interval
    for (int i = 0; i < 5; i++) {
      String id = "last-" + i;
      assertEquals(1, lines().stream().filter(l -> l.contains(" " + id + " ")).count(), id);
    }
  }

  private static List<String> lines() {
    return messages.stream().flatMap(message -> message.lines()).toList();
  }

  private static Map<String, Long> linesPerBurstId() {
    return lines().stream()
        .map(LINE::matcher)
        .filter(Matcher::matches)
        .map(m -> m.group(1))
        .filter(id -> id.startsWith("burst-"))
        .collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
  }
}
