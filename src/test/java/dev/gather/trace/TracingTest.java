package dev.gather.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.gather.Await;
import dev.gather.RunningGather;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Traces as an operator's collector receives them: gather exports over OTLP/HTTP to a collector started here (a
 * Vert.x server decoding the protobuf with the OpenTelemetry proto classes), and the upstreams record the
 * {@code traceparent} each request carried.
 */
class TracingTest {
  private static final HexFormat HEX = HexFormat.of();
  private static Vertx servers;
  private static HttpServer collector;
  private static HttpServer upstream;
  private static RunningGather app;
  private static final Queue<Span> exported = new ConcurrentLinkedQueue<>();
  private static final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
  /** The traceparent of every upstream request, by path, in arrival order. */
  private static final Map<String, Queue<String>> traceparents = new ConcurrentHashMap<>();

  @BeforeAll
  static void start() throws Exception {
    servers = Vertx.vertx();
    collector = servers.createHttpServer().requestHandler(request -> request.body().onSuccess(body -> {
      try {
        ExportTraceServiceRequest export = ExportTraceServiceRequest.parseFrom(body.getBytes());
        for (ResourceSpans resource : export.getResourceSpansList()) {
          for (ScopeSpans scope : resource.getScopeSpansList()) {
            exported.addAll(scope.getSpansList());
          }
        }
        request.response().putHeader("Content-Type", "application/x-protobuf")
            .end(Buffer.buffer(ExportTraceServiceResponse.getDefaultInstance().toByteArray()));
      } catch (com.google.protobuf.InvalidProtocolBufferException e) {
        request.response().setStatusCode(400).end();
      }
    })).listen(0, "127.0.0.1").await(5, TimeUnit.SECONDS);

    upstream = servers.createHttpServer().requestHandler(request -> {
      String path = request.path();
      traceparents.computeIfAbsent(path, p -> new ConcurrentLinkedQueue<>())
          .add(String.join(" | ", request.headers().getAll("traceparent")));
      int n = calls.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
      if (path.startsWith("/flaky") && n == 1) { // the first call fails, the retry answers
        request.response().setStatusCode(503).end();
      } else if (path.startsWith("/shared")) { // slow enough for a second caller to join
        servers.setTimer(300, t -> request.response().end("{\"n\":" + n + "}"));
      } else if (path.startsWith("/slow") && n == 1) { // the first call is slow: its hedge twin wins
        servers.setTimer(1000, t -> request.response().end("{\"n\":" + n + "}"));
      } else {
        request.response().putHeader("Content-Type", "application/json").end("{\"n\":" + n + "}");
      }
    }).listen(0, "127.0.0.1").await(5, TimeUnit.SECONDS);
    String base = "http://127.0.0.1:" + upstream.actualPort();

    JsonObject upstreams = new JsonObject()
        .put("flaky", new JsonObject().put("url", base).put("retries", 2).put("retryBackoffMs", 5))
        .put("hedged", new JsonObject().put("url", base).put("hedgeAfterMs", 50))
        .put("shared", new JsonObject().put("url", base).put("coalesce", true))
        .put("plain", new JsonObject().put("url", base)
            .put("forwardHeaders", new io.vertx.core.json.JsonArray().add("traceparent")));
    JsonObject aggregates = new JsonObject()
        .put("traced", new JsonObject().put("deadlineMs", 3000).put("sources", new JsonObject()
            .put("flaky", new JsonObject().put("upstream", "flaky").put("path", "/flaky/{id}").put("required", true))
            .put("hedged", new JsonObject().put("upstream", "hedged").put("path", "/slow/{id}")
                .put("required", true))));
    aggregates.put("shared", new JsonObject().put("deadlineMs", 3000).put("sources", new JsonObject()
        .put("only", new JsonObject().put("upstream", "shared").put("path", "/shared/{id}").put("required", true))));
    Tracing tracing = Tracing.create(Map.of(
        "otel.exporter.otlp.endpoint", "http://127.0.0.1:" + collector.actualPort(),
        "otel.bsp.schedule.delay", "50"));
    aggregates.put("remembered", new JsonObject().put("deadlineMs", 3000).put("sources", new JsonObject()
        .put("kept", new JsonObject().put("upstream", "plain").put("path", "/kept/{id}")
            .put("cache", new JsonObject().put("ttlMs", 60_000)))));
    aggregates.put("counted", new JsonObject().put("deadlineMs", 3000).put("sources", new JsonObject()
        .put("first", new JsonObject().put("upstream", "flaky").put("path", "/first/{id}").put("required", true))
        .put("count", new JsonObject().put("query", "one").put("params", new io.vertx.core.json.JsonArray()
            .add("{first.n}")).put("one", true).put("required", true))));
    app = RunningGather.start(new JsonObject().put("upstreams", upstreams).put("aggregates", aggregates)
        .put("queries", new JsonObject().put("one", "SELECT $1::int AS n")), tracing);
  }

  @AfterAll
  static void stop() throws Exception {
    if (app != null) {
      app.close();
    }
    servers.close().await(10, TimeUnit.SECONDS);
  }

  @Test
  void anAggregateWithARetryAndAHedgeIsExportedAsOneSpanTreeUnderTheClientsTrace() throws Exception {
    String traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    String clientSpan = "00f067aa0ba902b7";
    HttpResponse<Buffer> response = app.client.get("/aggregate/traced?id=1")
        .putHeader("traceparent", "00-" + traceId + "-" + clientSpan + "-01")
        .send().await(15, TimeUnit.SECONDS);
    assertEquals(200, response.statusCode(), response.bodyAsString());

    // server, aggregate, 2 sources, 2 tries each (each try is the client span of its HTTP request)
    List<Span> trace = Await.value("the aggregate's spans to be exported", Duration.ofSeconds(30),
        () -> spansOf(traceId), spans -> spans.size() >= 8 && spans.stream().anyMatch(s -> s.getName().startsWith("aggregate")));
    System.out.println(tree(trace));

    Span server = only(trace, s -> s.getKind() == Span.SpanKind.SPAN_KIND_SERVER);
    assertEquals(clientSpan, hex(server.getParentSpanId()), "the server span continues the client's trace");
    assertEquals("GET /aggregate/traced", server.getName(), "named by method and route");
    assertEquals("/aggregate/traced", attribute(server, "http.route"));
    assertEquals("/aggregate/traced", attribute(server, "url.path"));
    assertEquals("200", attribute(server, "http.response.status_code"));
    Span aggregate = only(trace, s -> s.getName().equals("aggregate traced"));
    assertEquals(hex(server.getSpanId()), hex(aggregate.getParentSpanId()));
    assertEquals("traced", attribute(aggregate, Tracing.Keys.AGGREGATE));

    Span flaky = only(trace, s -> s.getName().equals("source flaky"));
    assertEquals(hex(aggregate.getSpanId()), hex(flaky.getParentSpanId()));
    assertEquals("2", attribute(flaky, Tracing.Keys.ATTEMPTS));
    List<Span> flakyTries = childrenOf(trace, flaky);
    assertEquals(2, flakyTries.size(), tree(trace));
    Span failedTry = only(flakyTries, s -> attribute(s, Tracing.Keys.ATTEMPT).equals("1"));
    assertEquals("status", attribute(failedTry, Tracing.Keys.FAILURE_KIND));
    Span retry = only(flakyTries, s -> attribute(s, Tracing.Keys.ATTEMPT).equals("2"));
    assertEquals("", attribute(retry, Tracing.Keys.FAILURE_KIND));

    Span hedged = only(trace, s -> s.getName().equals("source hedged"));
    assertEquals("true", attribute(hedged, Tracing.Keys.HEDGED));
    List<Span> hedgedTries = childrenOf(trace, hedged);
    assertEquals(2, hedgedTries.size(), tree(trace));
    assertEquals(1, hedgedTries.stream().filter(s -> attribute(s, Tracing.Keys.HEDGED).equals("true")).count());
    assertTrue(hedgedTries.stream().allMatch(s -> attribute(s, Tracing.Keys.ATTEMPT).equals("1")));

    // Each try is the client span of its HTTP request, and what the upstream saw names it as parent.
    List<String> sent = new ArrayList<>(traceparents.get("/flaky/1"));
    sent.addAll(traceparents.get("/slow/1"));
    for (Span attempt : concat(flakyTries, hedgedTries)) {
      assertEquals(Span.SpanKind.SPAN_KIND_CLIENT, attempt.getKind());
      assertEquals("GET", attribute(attempt, "http.request.method"));
      assertEquals("127.0.0.1", attribute(attempt, "server.address"));
      assertTrue(childrenOf(trace, attempt).isEmpty(), "no second client span under the try: " + tree(trace));
      assertTrue(sent.contains("00-" + traceId + "-" + hex(attempt.getSpanId()) + "-01"),
          "upstream saw " + sent + ", not the try's span " + hex(attempt.getSpanId()));
    }
    assertEquals("503", attribute(failedTry, "http.response.status_code"));
    assertEquals("200", attribute(retry, "http.response.status_code"));
  }

  @Test
  void aCallerThatJoinsASharedCallLinksToTheSpanOfTheCallerThatMadeIt() throws Exception {
    String makerTrace = "11111111111111111111111111111111";
    String joinerTrace = "22222222222222222222222222222222";
    var first = app.client.get("/aggregate/shared?id=7")
        .putHeader("traceparent", "00-" + makerTrace + "-1111111111111111-01").send();
    Await.until("the shared call to reach the upstream", Duration.ofSeconds(5),
        () -> calls.containsKey("/shared/7"));
    var second = app.client.get("/aggregate/shared?id=7")
        .putHeader("traceparent", "00-" + joinerTrace + "-2222222222222222-01").send();
    assertEquals(200, first.await(15, TimeUnit.SECONDS).statusCode());
    assertEquals(200, second.await(15, TimeUnit.SECONDS).statusCode());
    assertEquals(1, calls.get("/shared/7").get(), "one upstream call for both");

    Span made = Await.value("the maker's source span", Duration.ofSeconds(30),
        () -> spansOf(makerTrace).stream().filter(s -> s.getName().equals("source only")).findFirst(),
        Optional::isPresent).get();
    Span joined = Await.value("the joiner's source span", Duration.ofSeconds(30),
        () -> spansOf(joinerTrace).stream().filter(s -> s.getName().equals("source only")).findFirst(),
        Optional::isPresent).get();
    assertEquals("true", attribute(joined, Tracing.Keys.COALESCED));
    assertEquals(1, childrenOf(spansOf(makerTrace), made).size(), "the maker's trace has the try");
    assertEquals(0, childrenOf(spansOf(joinerTrace), joined).size(), "the joiner made no try of its own");
    assertEquals(1, joined.getLinksCount());
    assertEquals(makerTrace, hex(joined.getLinks(0).getTraceId()));
    assertEquals(hex(made.getSpanId()), hex(joined.getLinks(0).getSpanId()));
  }

  @Test
  void aProxiedRequestCarriesOneTraceparentInTheClientsTraceNamingGathersClientSpan() throws Exception {
    String traceId = "33333333333333333333333333333333";
    String clientSpan = "a3a3a3a3a3a3a3a3";
    HttpResponse<Buffer> response = app.client.get("/proxy/plain/echo/1")
        .putHeader("traceparent", "00-" + traceId + "-" + clientSpan + "-01").send().await(15, TimeUnit.SECONDS);
    assertEquals(200, response.statusCode(), response.bodyAsString());
    String seen = traceparents.get("/echo/1").peek();
    assertTrue(seen.matches("00-" + traceId + "-[0-9a-f]{16}-01"), "one traceparent in the client's trace: " + seen);
    assertNotEquals(clientSpan, seen.split("-")[2], "gather's own client span is the parent, not the client's");
  }

  @Test
  void aQueryThatNeedsAnUpstreamSourceHasItsSqlSpanUnderItsOwnSource() throws Exception {
    String traceId = "44444444444444444444444444444444";
    HttpResponse<Buffer> response = app.client.get("/aggregate/counted?id=1")
        .putHeader("traceparent", "00-" + traceId + "-4444444444444444-01").send().await(15, TimeUnit.SECONDS);
    assertEquals(200, response.statusCode(), response.bodyAsString());
    List<Span> trace = Await.value("the aggregate's spans to be exported", Duration.ofSeconds(30),
        () -> spansOf(traceId), spans -> spans.stream().anyMatch(s -> s.getName().startsWith("aggregate")));
    Span count = only(trace, s -> s.getName().equals("source count"));
    assertEquals("one", attribute(count, Tracing.Keys.QUERY));
    System.out.println(tree(trace));
    // The statement's own span among the SQL client's (the query runs inside its transaction with a timeout).
    assertTrue(childrenOf(trace, count).stream().anyMatch(s -> s.getKind() == Span.SpanKind.SPAN_KIND_CLIENT
        && (attribute(s, "db.query.text") + attribute(s, "db.statement")).contains("$1::int")), tree(trace));
  }

  @Test
  void aSourceAnsweredFromTheCacheSaysSoAndMakesNoTry() throws Exception {
    String first = "55555555555555555555555555555555";
    String second = "66666666666666666666666666666666";
    for (String traceId : List.of(first, second)) {
      HttpResponse<Buffer> response = app.client.get("/aggregate/remembered?id=1")
          .putHeader("traceparent", "00-" + traceId + "-5555555555555555-01").send().await(15, TimeUnit.SECONDS);
      assertEquals(200, response.statusCode(), response.bodyAsString());
    }
    Span called = Await.value("the first request's source span", Duration.ofSeconds(30),
        () -> spansOf(first).stream().filter(s -> s.getName().equals("source kept")).findFirst().orElse(null),
        s -> s != null);
    Span cached = Await.value("the second request's source span", Duration.ofSeconds(30),
        () -> spansOf(second).stream().filter(s -> s.getName().equals("source kept")).findFirst().orElse(null),
        s -> s != null);
    assertEquals("", attribute(called, Tracing.Keys.CACHED), "the first answer came from the upstream");
    assertEquals(1, childrenOf(spansOf(first), called).size(), "one try");
    assertEquals("true", attribute(cached, Tracing.Keys.CACHED));
    assertEquals(0, childrenOf(spansOf(second), cached).size(), "no try: " + tree(spansOf(second)));
  }

  @Test
  void theMetricsSayHowManySpansEndedAndHowManyTheCollectorTook() throws Exception {
    HttpResponse<Buffer> response = app.client.get("/aggregate/traced?id=9").send().await(15, TimeUnit.SECONDS);
    assertEquals(200, response.statusCode(), response.bodyAsString());
    String metrics = Await.value("exported spans counted", Duration.ofSeconds(30),
        () -> app.client.get("/metrics").send().await(10, TimeUnit.SECONDS).bodyAsString(),
        text -> spanCount(text, "exported") >= 8);
    assertTrue(spanCount(metrics, "ended") >= spanCount(metrics, "exported"), metrics);
    assertEquals(0, spanCount(metrics, "failed"), "the collector took every export");
  }

  private static double spanCount(String metrics, String outcome) {
    return metrics.lines().filter(l -> l.startsWith("gather_trace_spans_total{outcome=\"" + outcome + "\"}"))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).findFirst().orElse(-1);
  }

  @Test
  void aProblemNamesTheTraceOfItsRequest() throws Exception {
    String traceId = "0af7651916cd43dd8448eb211c80319c";
    HttpResponse<Buffer> response = app.client.get("/aggregate/nowhere")
        .putHeader("traceparent", "00-" + traceId + "-b7ad6b7169203331-01")
        .send().await(15, TimeUnit.SECONDS);
    assertEquals(404, response.statusCode());
    assertEquals(traceId, response.bodyAsJsonObject().getString("traceId"), response.bodyAsString());
  }

  @Test
  void withoutAnExporterConfiguredTracingIsOff() {
    assertFalse(Tracing.create(Map.of()).enabled(), "no OTEL_ exporter setting in the test's environment");
    assertFalse(Tracing.create(Map.of("otel.exporter.otlp.endpoint", "http://127.0.0.1:1",
        "otel.sdk.disabled", "true")).enabled());
    assertFalse(Tracing.create(Map.of("otel.traces.exporter", "none")).enabled());
    Vertx untraced = dev.gather.Gather.newVertx(dev.gather.Gather.newRegistry(), Tracing.OFF);
    try {
      assertEquals(null, ((io.vertx.core.internal.VertxInternal) untraced).tracer(), "no Vert.x tracer when off");
    } finally {
      untraced.close();
    }
  }

  @Test
  void settingsTheSdkCannotUseAreRefusedWithItsReason() {
    IllegalArgumentException refused = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> Tracing.create(Map.of("otel.exporter.otlp.endpoint", "http://127.0.0.1:1",
            "otel.exporter.otlp.protocol", "grpc")));
    assertTrue(refused.getMessage().contains("GrpcSenderProvider"), refused.getMessage());
  }

  private static List<Span> spansOf(String traceId) {
    return exported.stream().filter(s -> hex(s.getTraceId()).equals(traceId)).toList();
  }

  private static List<Span> childrenOf(List<Span> trace, Span parent) {
    return trace.stream().filter(s -> s.getParentSpanId().equals(parent.getSpanId())).toList();
  }

  private static Span only(List<Span> spans, java.util.function.Predicate<Span> test) {
    List<Span> found = spans.stream().filter(test).toList();
    assertEquals(1, found.size(), "spans: " + spans.stream().map(Span::getName).toList());
    return found.get(0);
  }

  private static List<Span> concat(List<Span> a, List<Span> b) {
    List<Span> all = new ArrayList<>(a);
    all.addAll(b);
    return all;
  }

  static String attribute(Span span, io.opentelemetry.api.common.AttributeKey<?> key) {
    return attribute(span, key.getKey());
  }

  /** An attribute's value as text ("" when the span has none). */
  static String attribute(Span span, String key) {
    Optional<KeyValue> found = span.getAttributesList().stream().filter(a -> a.getKey().equals(key)).findFirst();
    if (found.isEmpty()) {
      return "";
    }
    var value = found.get().getValue();
    return switch (value.getValueCase()) {
      case STRING_VALUE -> value.getStringValue();
      case INT_VALUE -> String.valueOf(value.getIntValue());
      case BOOL_VALUE -> String.valueOf(value.getBoolValue());
      default -> value.toString();
    };
  }

  private static String hex(ByteString id) {
    return HEX.formatHex(id.toByteArray());
  }

  /** The trace as an indented tree, for the README and for failure messages. */
  static String tree(List<Span> trace) {
    Map<String, List<Span>> children = trace.stream().collect(Collectors.groupingBy(s -> hex(s.getParentSpanId())));
    StringBuilder out = new StringBuilder();
    trace.stream().filter(s -> trace.stream().noneMatch(p -> p.getSpanId().equals(s.getParentSpanId())))
        .forEach(root -> print(root, children, 0, out));
    return out.toString();
  }

  private static void print(Span span, Map<String, List<Span>> children, int depth, StringBuilder out) {
    out.append("  ".repeat(depth)).append(span.getName()).append(" [")
        .append(span.getKind().name().replace("SPAN_KIND_", "").toLowerCase(java.util.Locale.ROOT)).append(", ")
        .append((span.getEndTimeUnixNano() - span.getStartTimeUnixNano()) / 1_000_000).append(" ms]");
    span.getAttributesList().stream()
        .filter(a -> a.getKey().startsWith("gather.") || a.getKey().startsWith("http."))
        .forEach(a -> out.append(' ').append(a.getKey()).append('=').append(attribute(span, a.getKey())));
    out.append('\n');
    children.getOrDefault(hex(span.getSpanId()), List.of()).stream()
        .sorted(java.util.Comparator.comparingLong(Span::getStartTimeUnixNano))
        .forEach(child -> print(child, children, depth + 1, out));
  }
}
