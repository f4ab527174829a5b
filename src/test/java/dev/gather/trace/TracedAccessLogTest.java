package dev.gather.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.gather.Await;
import dev.gather.RunningGather;
import dev.gather.config.LogConfig;
import dev.gather.logging.Logs;
import dev.gather.logging.StandardOutput;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** With tracing on and JSON logs, a request's access line names the trace it belongs to. */
class TracedAccessLogTest {
  private static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
  private static StandardOutput output;
  private static Vertx servers;
  private static RunningGather app;

  @BeforeAll
  static void start() throws Exception {
    output = StandardOutput.capture();
    servers = Vertx.vertx();
    HttpServer collector = servers.createHttpServer().requestHandler(request -> request.body().onComplete(body ->
            request.response().putHeader("Content-Type", "application/x-protobuf")
                .end(Buffer.buffer(ExportTraceServiceResponse.getDefaultInstance().toByteArray()))))
        .listen(0, "127.0.0.1").await(5, TimeUnit.SECONDS);
    HttpServer upstream = servers.createHttpServer().requestHandler(request -> request.response()
            .putHeader("Content-Type", "application/json").end("{\"id\":1}"))
        .listen(0, "127.0.0.1").await(5, TimeUnit.SECONDS);
    Tracing tracing = Tracing.create(Map.of("otel.exporter.otlp.endpoint", "http://127.0.0.1:" + collector.actualPort(),
        "otel.bsp.schedule.delay", "50"));
    app = RunningGather.start(new JsonObject()
        .put("log", new JsonObject().put("format", "json"))
        .put("upstreams", new JsonObject()
            .put("users", new JsonObject().put("url", "http://127.0.0.1:" + upstream.actualPort())))
        .put("aggregates", new JsonObject()
            .put("profile", new JsonObject().put("path", "/aggregate/profile/:id").put("sources", new JsonObject()
                .put("user", new JsonObject().put("upstream", "users").put("path", "/users/{id}"))))), tracing);
  }

  @AfterAll
  static void stop() throws Exception {
    try {
      if (app != null) {
        app.close();
      }
      servers.close().await(10, TimeUnit.SECONDS);
    } finally {
      Logs.use(LogConfig.Format.TEXT);
      output.close();
    }
  }

  @Test
  void theAccessLineOfATracedRequestCarriesItsTraceId() throws Exception {
    String requestId = "traced-access-1";
    app.client.get("/aggregate/profile/1").putHeader("X-Request-Id", requestId)
        .putHeader("traceparent", "00-" + TRACE_ID + "-00f067aa0ba902b7-01")
        .send().await(10, TimeUnit.SECONDS);
    JsonObject[] line = new JsonObject[1];
    Await.until("the request's access line", Duration.ofSeconds(10), () -> {
      line[0] = accessLine(requestId).orElse(null);
      return line[0] != null;
    });
    assertEquals(TRACE_ID, line[0].getString("trace_id"), line[0].encode());
    assertEquals(16, line[0].getString("span_id", "").length(), line[0].encode());
  }

  private static Optional<JsonObject> accessLine(String requestId) {
    return output.lines().stream().filter(l -> l.startsWith("{") && l.contains(requestId) && l.contains("\"status\""))
        .map(JsonObject::new).filter(o -> requestId.equals(o.getString("request_id")) && o.containsKey("status"))
        .findFirst();
  }
}
