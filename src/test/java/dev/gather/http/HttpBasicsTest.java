package dev.gather.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gather.Await;
import dev.gather.RunningGather;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.List;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(VertxExtension.class)
class HttpBasicsTest {
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
  void rootNamesTheServiceItsVersionInstancesAndUptime(VertxTestContext test) {
    app.client.get("/").send().onComplete(test.succeeding(response -> test.verify(() -> {
      assertEquals(200, response.statusCode());
      assertEquals("application/json", response.getHeader("Content-Type"));
      JsonObject info = response.bodyAsJsonObject();
      assertEquals(List.of("name", "version", "instances", "uptimeSeconds"), List.copyOf(info.fieldNames()));
      assertEquals("gather", info.getString("name"));
      assertEquals("0.1.0", info.getString("version"));
      assertEquals(2, info.getInteger("instances"));
      assertNotNull(info.getLong("uptimeSeconds"));
      test.completeNow();
    })));
  }

  @Test
  void aRequestIdSentByTheClientComesBack(VertxTestContext test) {
    app.client.get("/").putHeader("X-Request-Id", "trace-42.a:b").send()
        .onComplete(test.succeeding(response -> test.verify(() -> {
          assertEquals("trace-42.a:b", response.getHeader("X-Request-Id"));
          test.completeNow();
        })));
  }

  @Test
  void everyResponseGetsARequestIdWhenTheClientSentNone(VertxTestContext test) {
    app.client.get("/health/live").send().compose(first -> app.client.get("/health/live").send()
            .map(second -> new String[] {first.getHeader("X-Request-Id"), second.getHeader("X-Request-Id")}))
        .onComplete(test.succeeding(ids -> test.verify(() -> {
          assertTrue(ids[0].matches("[0-9a-f]{32}"), ids[0]);
          assertNotEquals(ids[0], ids[1]);
          test.completeNow();
        })));
  }

  @Test
  void anUnsafeRequestIdIsReplacedRatherThanLogged(VertxTestContext test) {
    app.client.get("/").putHeader("X-Request-Id", "evil id with spaces \"and quotes\"").send()
        .onComplete(test.succeeding(response -> test.verify(() -> {
          assertTrue(response.getHeader("X-Request-Id").matches("[0-9a-f]{32}"));
          test.completeNow();
        })));
  }

  @Test
  void anUnknownRouteIs404ProblemJson(VertxTestContext test) {
    app.client.get("/no/such/thing").send().onComplete(test.succeeding(response -> test.verify(() -> {
      assertEquals(404, response.statusCode());
      assertEquals(Problems.CONTENT_TYPE, response.getHeader("Content-Type"));
      JsonObject problem = response.bodyAsJsonObject();
      assertEquals("/no/such/thing", problem.getString("instance"));
      assertEquals(response.getHeader("X-Request-Id"), problem.getString("requestId"));
      test.completeNow();
    })));
  }

  @Test
  void aWrongMethodIs405ProblemJson(VertxTestContext test) {
    app.client.patch("/users/1").sendJsonObject(new JsonObject()).onComplete(test.succeeding(response -> test.verify(() -> {
      assertEquals(405, response.statusCode());
      assertEquals(Problems.CONTENT_TYPE, response.getHeader("Content-Type"));
      assertTrue(response.bodyAsJsonObject().getString("detail").contains("PATCH"));
      test.completeNow();
    })));
  }

  @Test
  void livenessIsUp(VertxTestContext test) {
    app.client.get("/health/live").send().onComplete(test.succeeding(response -> test.verify(() -> {
      assertEquals(200, response.statusCode());
      assertEquals("UP", response.bodyAsJsonObject().getString("status"));
      test.completeNow();
    })));
  }

  @Test
  void readinessReportsDatabaseAndMigrations(VertxTestContext test) {
    app.client.get("/health/ready").send().onComplete(test.succeeding(response -> test.verify(() -> {
      assertEquals(200, response.statusCode());
      JsonObject checks = response.bodyAsJsonObject().getJsonObject("checks");
      assertEquals("UP", checks.getString("database"));
      assertEquals("APPLIED", checks.getString("migrations"));
      assertEquals("UP", checks.getString("verticles"));
      test.completeNow();
    })));
  }

  @Test
  void metricsExposeHttpServerMetricsByRouteThePoolAndTheJvm() throws Exception {
    app.client.get("/users/1").send().await(10, TimeUnit.SECONDS);
    // A request is counted when its answer has been written, which may be after the client has read it.
    String[] text = new String[1];
    Await.until("GET /users/1 counted under its route", Duration.ofSeconds(10), () -> {
      text[0] = app.client.get("/metrics").send().await(10, TimeUnit.SECONDS).bodyAsString();
      return text[0].contains("route=\"/users/:id\"");
    });
    assertTrue(text[0].contains("vertx_http_server_requests_total{"), "HTTP server metrics");
    assertTrue(text[0].contains("vertx_pool_") || text[0].contains("vertx_sql_"), "pool metrics");
    assertTrue(text[0].contains("jvm_memory_used_bytes"), "JVM metrics");
  }
}
