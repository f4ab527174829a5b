package dev.gather.users;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gather.Await;
import dev.gather.RunningGather;
import dev.gather.TestDatabase;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import io.vertx.pgclient.PgConnectOptions;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(VertxExtension.class)
class UsersExportTest {
  private static final int ROWS = 200_000;
  private static RunningGather app;

  @BeforeAll
  static void startWithManyUsers() {
    app = RunningGather.start();
    TestDatabase.execute(PgConnectOptions.fromUri(app.databaseUrl),
        "INSERT INTO users (email, name) SELECT 'bulk' || g || '@example.com', 'Bulk user ' || g "
            + "FROM generate_series(1, " + ROWS + ") g");
  }

  @AfterAll
  static void stop() throws Exception {
    app.close();
  }

  private static double rowsRead() {
    return app.registry.get("gather.users.export.rows").counter().count();
  }

  private static double openExports() {
    return app.registry.get("gather.users.export.open").gauge().value();
  }

  @Test
  void exportStreamsEveryUserAsNdjsonInIdOrder(VertxTestContext test) {
    app.client.get("/users/export").send().onComplete(test.succeeding(response -> test.verify(() -> {
      assertEquals(200, response.statusCode());
      assertEquals("application/x-ndjson", response.getHeader("Content-Type"));
      String[] lines = response.bodyAsString().split("\n");
      assertEquals(ROWS, lines.length);
      long previous = 0;
      for (String line : lines) {
        long id = new JsonObject(line).getLong("id");
        assertTrue(id > previous, "ids ascend");
        previous = id;
      }
      assertEquals("bulk1@example.com", new JsonObject(lines[0]).getString("email"));
      test.completeNow();
    })));
  }

  @Test
  void aClientThatStopsReadingStopsTheCursorAndLeavingClosesIt(Vertx vertx, VertxTestContext test) throws Exception {
    double before = rowsRead();
    NetSocket socket = vertx.createNetClient(new NetClientOptions().setReceiveBufferSize(4096))
        .connect(app.port, "127.0.0.1").await(5, TimeUnit.SECONDS);
    socket.handler(ignored -> { });
    socket.pause();
    socket.write("GET /users/export HTTP/1.1\r\nHost: localhost\r\n\r\n");

    // Wait for the read count to settle (buffers between cursor and socket full); how long that takes depends
    // on how busy the machine is, so it is polled for rather than assumed.
    Await.until("the export to start", Duration.ofSeconds(15), () -> rowsRead() > before);
    double settled = Await.steady("the rows read", Duration.ofMillis(500), Duration.ofSeconds(15),
        () -> rowsRead() - before);
    double aSecondLater = Await.steady("the rows read", Duration.ofSeconds(1), Duration.ofSeconds(15),
        () -> rowsRead() - before);
    assertTrue(settled > 0, "the export started");
    assertTrue(aSecondLater < ROWS / 2.0, "a paused client holds the cursor back: read " + aSecondLater + " of " + ROWS);
    assertEquals(settled, aSecondLater, "nothing more is read while the client waits");
    assertEquals(1.0, openExports());

    socket.close().await(5, TimeUnit.SECONDS);
    Await.until("the cursor to be closed when the client leaves", Duration.ofSeconds(5), () -> openExports() == 0);
    test.completeNow();
  }
}
