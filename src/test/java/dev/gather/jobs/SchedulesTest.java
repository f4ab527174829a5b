package dev.gather.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gather.Await;
import dev.gather.RunningGather;
import dev.gather.TestDatabase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.pgclient.PgConnectOptions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Periodic jobs against a real PostgreSQL shared by two gathers: one job per tick however many replicas run the
 * schedule, no burst after downtime unless catchUp asks for it (and then bounded), and the /jobs/schedules API.
 * Ticks are read straight from the jobs table (its schedule and schedule_tick columns).
 */
class SchedulesTest {
  private static RunningGather a;
  private static RunningGather b;

  @BeforeAll
  static void start() {
    JsonObject config = jobsWith(new JsonObject()
        .put("every-second", everySecond("config-every-second")));
    a = RunningGather.start(config);
    b = RunningGather.startOn(a.databaseUrl, config);
  }

  @AfterAll
  static void stop() throws Exception {
    b.close();
    a.close();
  }

  @Test
  void aScheduleEverySecondForTenSecondsOnTwoGathersMakesTenJobsNotTwenty() throws Exception {
    Instant from = Instant.now().truncatedTo(ChronoUnit.SECONDS).plusSeconds(1); // both gathers run by now
    Instant to = from.plusSeconds(10);
    Await.until("the schedule to reach " + to, Duration.ofSeconds(30),
        () -> ticks(a.databaseUrl, "every-second").keySet().stream().anyMatch(t -> !t.isBefore(to)));
    List<Instant> window = ticks(a.databaseUrl, "every-second").keySet().stream()
        .filter(t -> !t.isBefore(from) && t.isBefore(to)).toList();
    List<Instant> expected = new ArrayList<>();
    for (int s = 0; s < 10; s++) {
      expected.add(from.plusSeconds(s));
    }
    assertEquals(expected, window, "one job for each of the ten ticks");
    assertEquals(10, jobsBetween(a.databaseUrl, "every-second", from, to), "ten jobs, not twenty");
  }

  @Test
  void aConfigScheduleIsListedReadOnlyWithItsNextRuns() throws Exception {
    HttpResponse<Buffer> list = a.client.get("/jobs/schedules").send().await(10, TimeUnit.SECONDS);
    assertEquals(200, list.statusCode(), list.bodyAsString());
    JsonObject schedule = list.bodyAsJsonObject().getJsonArray("items").stream().map(JsonObject.class::cast)
        .filter(s -> s.getString("name").equals("every-second")).findFirst().orElseThrow();
    assertEquals("config", schedule.getString("source"));
    assertEquals(1000, schedule.getInteger("everyMs"));
    assertEquals("test.count", schedule.getJsonObject("job").getString("kind"));
    JsonArray next = schedule.getJsonArray("nextRuns");
    assertEquals(5, next.size());
    for (int i = 1; i < next.size(); i++) {
      assertEquals(Instant.parse(next.getString(i - 1)).plusSeconds(1), Instant.parse(next.getString(i)));
    }
    assertProblem(a.client.put("/jobs/schedules/every-second").sendJsonObject(everySecond("t"))
        .await(10, TimeUnit.SECONDS), 409, "jobs.schedules.every-second");
    assertProblem(a.client.delete("/jobs/schedules/every-second").send().await(10, TimeUnit.SECONDS), 409,
        "defined in the configuration");
  }

  @Test
  void anApiScheduleIsCreatedReadByTheOtherGatherReplacedAndDeleted() throws Exception {
    JsonObject nightly = new JsonObject().put("name", "api-nightly").put("cron", "0 3 * * *")
        .put("zone", "Europe/Berlin").put("job", new JsonObject().put("kind", "test.count")
            .put("input", new JsonObject().put("token", "api-nightly")));
    HttpResponse<Buffer> created = a.client.post("/jobs/schedules").sendJsonObject(nightly).await(10, TimeUnit.SECONDS);
    assertEquals(201, created.statusCode(), created.bodyAsString());
    assertEquals("/jobs/schedules/api-nightly", created.getHeader("Location"));

    HttpResponse<Buffer> read = b.client.get("/jobs/schedules/api-nightly").send().await(10, TimeUnit.SECONDS);
    assertEquals(200, read.statusCode(), read.bodyAsString());
    assertEquals("api", read.bodyAsJsonObject().getString("source"));
    Instant firstRun = Instant.parse(read.bodyAsJsonObject().getJsonArray("nextRuns").getString(0));
    assertEquals(3, firstRun.atZone(ZoneId.of("Europe/Berlin")).getHour(), "03:00 in Berlin: " + firstRun);

    assertProblem(a.client.post("/jobs/schedules").sendJsonObject(nightly).await(10, TimeUnit.SECONDS), 409,
        "PUT /jobs/schedules/api-nightly");

    JsonObject hourly = nightly.copy();
    hourly.remove("name");
    hourly.remove("zone");
    hourly.remove("cron");
    hourly.put("everyMs", 3_600_000);
    HttpResponse<Buffer> replaced = b.client.put("/jobs/schedules/api-nightly").sendJsonObject(hourly)
        .await(10, TimeUnit.SECONDS);
    assertEquals(200, replaced.statusCode(), replaced.bodyAsString());
    assertEquals(3_600_000, a.client.get("/jobs/schedules/api-nightly").send().await(10, TimeUnit.SECONDS)
        .bodyAsJsonObject().getInteger("everyMs"));

    assertEquals(204, a.client.delete("/jobs/schedules/api-nightly").send().await(10, TimeUnit.SECONDS).statusCode());
    assertProblem(b.client.get("/jobs/schedules/api-nightly").send().await(10, TimeUnit.SECONDS), 404,
        "no schedule named \"api-nightly\"");
    assertProblem(a.client.delete("/jobs/schedules/api-nightly").send().await(10, TimeUnit.SECONDS), 404,
        "api-nightly");
  }

  @Test
  void anApiScheduleRunsOncePerTickOnBothGathersAndStopsWhenDeleted() throws Exception {
    JsonObject schedule = everySecond("api-every-second").put("name", "api-every-second");
    HttpResponse<Buffer> created = a.client.post("/jobs/schedules").sendJsonObject(schedule).await(10, TimeUnit.SECONDS);
    assertEquals(201, created.statusCode(), created.bodyAsString());
    Await.until("three ticks of the API schedule", Duration.ofSeconds(20),
        () -> ticks(a.databaseUrl, "api-every-second").size() >= 3);
    // B reloads the API schedules every few seconds: by the time it fires too, each tick still has one job.
    Await.until("B to know the schedule", Duration.ofSeconds(20), () -> b.client.get("/jobs/schedules/api-every-second")
        .send().await(10, TimeUnit.SECONDS).statusCode() == 200);
    assertEquals(204, a.client.delete("/jobs/schedules/api-every-second").send().await(10, TimeUnit.SECONDS)
        .statusCode());
    Map<Instant, Instant> after = Await.steady("the deleted schedule's jobs", Duration.ofMillis(2500),
        Duration.ofSeconds(20), () -> ticks(a.databaseUrl, "api-every-second"));
    List<Instant> ticks = new ArrayList<>(after.keySet());
    for (int i = 1; i < ticks.size(); i++) {
      assertEquals(ticks.get(i - 1).plusSeconds(1), ticks.get(i), "one job per tick, none missing: " + ticks);
    }
  }

  @Test
  void badSchedulesAre400NamingTheFieldAndTheFix() throws Exception {
    assertBad(everySecond("t").put("name", "x").put("cron", "0 3 * * *"), "give exactly one of cron");
    JsonObject badCron = everySecond("t").put("name", "x");
    badCron.remove("everyMs");
    assertBad(badCron.copy().put("cron", "every day"), "schedule.cron = \"every day\"");
    assertBad(badCron.copy().put("cron", "0 3 * * *").put("zone", "Mars/Olympus"), "schedule.zone");
    assertBad(badCron.copy().put("cron", "0 0 31 4 *"), "never matches a date");
    assertBad(everySecond("t").put("name", "x").put("everyMs", 10), "schedule.everyMs = 10");
    assertBad(everySecond("t").put("name", "x").put("catchUpMax", 5), "without \"catchUp\": true");
    assertBad(everySecond("t").put("name", "x").put("job", new JsonObject().put("kind", "no.such")),
        "schedule.job.kind = \"no.such\"");
    assertBad(everySecond("t").put("name", "x").put("job", new JsonObject().put("kind", "test.count")),
        "token is required");
    assertBad(everySecond("t").put("name", "a b"), "must be 1-100 letters");
    assertBad(everySecond("t"), "name is required");
  }

  /**
   * Downtime, as the database sees it: the schedules' last ticks 30 s back and no jobs for the ticks since (what a
   * gather stopped 30 s ago leaves), then a gather starts. Without catchUp none of the missed ticks runs (only the
   * current one); with catchUp the missed ones run, all of them or the newest catchUpMax.
   */
  @Test
  void afterDowntimeOnlyCatchUpMakesUpMissedTicksAndOnlyUpToCatchUpMax() throws Exception {
    JsonObject config = jobsWith(new JsonObject()
        .put("skip", everySecond("downtime-skip"))
        .put("bounded", everySecond("downtime-bounded").put("catchUp", true).put("catchUpMax", 5))
        .put("all", everySecond("downtime-all").put("catchUp", true)));
    String url;
    try (RunningGather first = RunningGather.start(config)) {
      url = first.databaseUrl;
      Await.until("a job of each schedule", Duration.ofSeconds(20), () -> !ticks(url, "skip").isEmpty()
          && !ticks(url, "bounded").isEmpty() && !ticks(url, "all").isEmpty());
    }
    TestDatabase.execute(PgConnectOptions.fromUri(url), "UPDATE job_schedules SET last_tick = last_tick - interval '30 s'");
    TestDatabase.execute(PgConnectOptions.fromUri(url), "DELETE FROM jobs WHERE schedule IS NOT NULL");
    Map<String, Instant> lastTicks = lastTicks(url);
    Instant restart = Instant.now();
    try (RunningGather second = RunningGather.startOn(url, config)) {
      Await.until("jobs of each schedule after the restart", Duration.ofSeconds(20), () -> !ticks(url, "skip").isEmpty()
          && ticks(url, "bounded").size() >= 5 && ticks(url, "all").size() >= 30);

      Instant firstSkip = ticks(url, "skip").keySet().iterator().next();
      assertFalse(firstSkip.isBefore(restart.truncatedTo(ChronoUnit.SECONDS).minusSeconds(1)),
          "without catchUp no missed tick runs, only the current one: " + firstSkip + ", restarted " + restart);

      List<Instant> bounded = firstBatch(ticks(url, "bounded"));
      assertEquals(5, bounded.size(), "catchUpMax: 5 of about 30 missed ticks " + bounded);
      assertConsecutive(bounded);
      assertTrue(bounded.get(0).isAfter(lastTicks.get("bounded").plusSeconds(20)), "the newest 5: " + bounded);

      List<Instant> all = firstBatch(ticks(url, "all"));
      assertEquals(lastTicks.get("all").plusSeconds(1), all.get(0), "from the first missed tick: " + all);
      assertConsecutive(all);
      assertTrue(all.size() >= 30, "every missed tick, once: " + all.size());
    }
  }

  // ---- helpers ----

  private static JsonObject jobsWith(JsonObject schedules) {
    return new JsonObject().put("jobs", new JsonObject().put("pollMs", 200).put("leaseMs", 10_000)
        .put("schedules", schedules));
  }

  private static JsonObject everySecond(String token) {
    return new JsonObject().put("everyMs", 1000).put("job", new JsonObject().put("kind", "test.count")
        .put("input", new JsonObject().put("token", token)));
  }

  private static void assertBad(JsonObject body, String detail) throws Exception {
    assertProblem(a.client.post("/jobs/schedules").sendJsonObject(body).await(10, TimeUnit.SECONDS), 400, detail);
  }

  private static void assertProblem(HttpResponse<Buffer> response, int status, String detail) {
    assertEquals(status, response.statusCode(), response.bodyAsString());
    assertEquals("application/problem+json", response.getHeader("Content-Type"));
    assertTrue(response.bodyAsJsonObject().getString("detail").contains(detail), response.bodyAsString());
  }

  private static void assertConsecutive(List<Instant> ticks) {
    for (int i = 1; i < ticks.size(); i++) {
      assertEquals(ticks.get(i - 1).plusSeconds(1), ticks.get(i), "consecutive ticks: " + ticks);
    }
  }

  /** The ticks enqueued by the first statement after the restart: they share its transaction's created_at. */
  private static List<Instant> firstBatch(Map<Instant, Instant> ticks) {
    Instant first = ticks.values().stream().min(Instant::compareTo).orElseThrow();
    return ticks.entrySet().stream().filter(e -> e.getValue().equals(first)).map(Map.Entry::getKey).toList();
  }

  /** The schedule's jobs: tick → when the job was created, by tick. */
  private static Map<Instant, Instant> ticks(String url, String schedule) throws SQLException {
    Map<Instant, Instant> ticks = new TreeMap<>();
    try (Connection db = connect(url); PreparedStatement query = db.prepareStatement(
        "SELECT schedule_tick, created_at FROM jobs WHERE schedule = ? ORDER BY schedule_tick")) {
      query.setString(1, schedule);
      try (ResultSet rows = query.executeQuery()) {
        while (rows.next()) {
          ticks.put(rows.getTimestamp(1).toInstant(), rows.getTimestamp(2).toInstant());
        }
      }
    }
    return ticks;
  }

  private static long jobsBetween(String url, String schedule, Instant from, Instant to) throws SQLException {
    try (Connection db = connect(url); PreparedStatement query = db.prepareStatement(
        "SELECT count(*) FROM jobs WHERE schedule = ? AND schedule_tick >= ? AND schedule_tick < ?")) {
      query.setString(1, schedule);
      query.setTimestamp(2, java.sql.Timestamp.from(from));
      query.setTimestamp(3, java.sql.Timestamp.from(to));
      try (ResultSet rows = query.executeQuery()) {
        rows.next();
        return rows.getLong(1);
      }
    }
  }

  private static Map<String, Instant> lastTicks(String url) throws SQLException {
    Map<String, Instant> ticks = new TreeMap<>();
    try (Connection db = connect(url); PreparedStatement query = db.prepareStatement(
        "SELECT name, last_tick FROM job_schedules")) {
      try (ResultSet rows = query.executeQuery()) {
        while (rows.next()) {
          ticks.put(rows.getString(1), rows.getTimestamp(2).toInstant());
        }
      }
    }
    return ticks;
  }

  private static Connection connect(String url) throws SQLException {
    PgConnectOptions target = PgConnectOptions.fromUri(url);
    return DriverManager.getConnection(TestDatabase.jdbcUrl(target), target.getUser(), target.getPassword());
  }
}
