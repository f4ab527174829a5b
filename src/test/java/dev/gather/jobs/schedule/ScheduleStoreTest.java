package dev.gather.jobs.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.gather.Await;
import dev.gather.TestDatabase;
import dev.gather.jobs.queue.JobStore;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgConnection;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;

/** The schedules' statements against a migrated database: what firing a tick writes, and whom it wakes. */
class ScheduleStoreTest {
  @Test
  void firingATickMakesItsJobOnceAndWakesTheWorkersOfItsKindAtCommit() throws Exception {
    String url = TestDatabase.fresh();
    PgConnectOptions target = PgConnectOptions.fromUri(url);
    Flyway.configure().dataSource(TestDatabase.jdbcUrl(target), target.getUser(), target.getPassword())
        .locations("classpath:db/migration").load().migrate();
    Vertx vertx = Vertx.vertx();
    Pool pool = PgBuilder.pool().with(new PoolOptions().setMaxSize(2)).connectingTo(target).using(vertx).build();
    PgConnection listener = PgConnection.connect(vertx, target).await(10, TimeUnit.SECONDS);
    try {
      List<String> wakeUps = new CopyOnWriteArrayList<>();
      listener.notificationHandler(notification -> wakeUps.add(notification.getPayload()));
      listener.query("LISTEN " + JobStore.WAKE_CHANNEL).execute().await(10, TimeUnit.SECONDS);
      ScheduleStore store = new ScheduleStore(pool, 10_000);
      store.registerConfig(List.of("nightly")).await(10, TimeUnit.SECONDS);
      Instant tick = Instant.now().plus(1, ChronoUnit.HOURS).truncatedTo(ChronoUnit.SECONDS);
      ScheduleStore.ResolvedJob job = new ScheduleStore.ResolvedJob("sleep", new JsonObject(), 0, 3, 60_000);

      assertEquals(List.of(tick), store.fire("nightly", List.of(tick), job).await(10, TimeUnit.SECONDS));
      Await.until("a wake-up for the kind", Duration.ofSeconds(10), () -> wakeUps.contains("sleep"));
      assertEquals(List.of(), store.fire("nightly", List.of(tick), job).await(10, TimeUnit.SECONDS),
          "a tick already taken care of makes no second job");
    } finally {
      listener.close().await(10, TimeUnit.SECONDS);
      pool.close().await(10, TimeUnit.SECONDS);
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }
}
