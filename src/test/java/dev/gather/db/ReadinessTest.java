package dev.gather.db;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.gather.RunningGather;
import dev.gather.TcpProxy;
import dev.gather.TestDatabase;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import io.vertx.pgclient.PgConnectOptions;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(VertxExtension.class)
class ReadinessTest {

  @Test
  void readinessFailsWhileTheDatabaseIsAwayAndRecoversByItself(Vertx vertx, VertxTestContext test) throws Exception {
    String database = PgConnectOptions.fromUri(TestDatabase.fresh()).getDatabase();
    PgConnectOptions server = TestDatabase.server();
    TcpProxy proxy = new TcpProxy(vertx, server.getHost(), server.getPort());
    proxy.start().await(5, TimeUnit.SECONDS);
    String viaProxy = "postgresql://" + server.getUser() + "@127.0.0.1:" + proxy.port() + "/" + database;
    RunningGather app = RunningGather.start(new JsonObject().put("db", new JsonObject().put("url", viaProxy)));
    WebClient client = app.client;

    ready(client, 200)
        .compose(up -> proxy.cut())
        .compose(cut -> ready(client, 503))
        .compose(problem -> {
          test.verify(() -> assertEquals("DOWN", problem.getJsonObject("checks").getString("database")));
          return client.get("/users/1").send();
        })
        .compose(duringOutage -> {
          test.verify(() -> assertEquals(503, duringOutage.statusCode(), duringOutage.bodyAsString()));
          return proxy.start();
        })
        .compose(back -> ready(client, 200))
        .eventually(() -> vertx.executeBlocking(() -> {
          app.close();
          return null;
        }))
        .onComplete(test.succeedingThenComplete());
  }

  /** Polls /health/ready until it answers {@code status} (within 15 s) and returns that body. */
  private static Future<JsonObject> ready(WebClient client, int status) {
    Promise<JsonObject> result = Promise.promise();
    poll(client, status, System.nanoTime() + TimeUnit.SECONDS.toNanos(15), result);
    return result.future();
  }

  private static void poll(WebClient client, int status, long deadline, Promise<JsonObject> result) {
    client.get("/health/ready").send().onComplete(response -> {
      if (response.succeeded() && response.result().statusCode() == status) {
        result.complete(response.result().bodyAsJsonObject());
      } else if (System.nanoTime() > deadline) {
        result.fail("readiness never answered " + status);
      } else {
        Vertx.currentContext().owner().setTimer(100, t -> poll(client, status, deadline, result));
      }
    });
  }
}
