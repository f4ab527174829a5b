package dev.gather.jobs;

import static dev.gather.jobs.JobsTest.awaitJob;
import static dev.gather.jobs.JobsTest.job;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gather.Await;
import dev.gather.RunningGather;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Per-kind limits and pause/resume (jobs.kinds) against a real PostgreSQL shared by two gathers, both running
 * workers, so each limit must hold across processes. The kinds are {@link LimitProbes}, which record how many of
 * their runs overlapped; every test uses its own token.
 */
class JobKindsTest {
  private static final long POLL_MS = 200;
  private static RunningGather a;
  private static RunningGather b;

  @BeforeAll
  static void start() {
    JsonObject kinds = new JsonObject()
        .put("test.limited", new JsonObject().put("concurrency", new JsonObject().put("limit", 2)))
        .put("test.limited.tenant", new JsonObject()
            .put("concurrency", new JsonObject().put("limit", 1).put("by", "input.tenant")))
        .put("test.rated", new JsonObject().put("rate", new JsonObject().put("limit", 3).put("periodMs", 1000)))
        .put("test.pausedbyconfig", new JsonObject().put("paused", true));
    JsonObject config = new JsonObject().put("jobs", new JsonObject()
        .put("pollMs", POLL_MS).put("leaseMs", 10_000).put("kinds", kinds));
    a = RunningGather.start(config);
    b = RunningGather.startOn(a.databaseUrl, config);
  }

  @AfterAll
  static void stop() throws Exception {
    b.close();
    a.close();
  }

  @Test
  void aConcurrencyLimitOfTwoIsNeverExceededAcrossTwoGathersAndTheJobsOverItWaitRatherThanFail() throws Exception {
    String token = UUID.randomUUID().toString();
    List<String> jobs = enqueue("test.limited", token, List.of("x"), 10, 200);
    for (String location : jobs) {
      JsonObject done = awaitJob(a, location, j -> j.getString("status").equals("succeeded"));
      assertEquals(1, done.getInteger("attempts"), done.encode());
    }
    assertEquals(2, LimitProbes.most(token), "at most 2 ran at once, and the limit was used");
  }

  @Test
  void partitionsOfAConcurrencyLimitAreIndependent() throws Exception {
    String token = UUID.randomUUID().toString();
    List<String> jobs = enqueue("test.limited.tenant", token, List.of("x", "y"), 8, 300);
    for (String location : jobs) {
      awaitJob(a, location, j -> j.getString("status").equals("succeeded"));
    }
    assertEquals(1, LimitProbes.most(token + "/x"), "tenant x: one at a time");
    assertEquals(1, LimitProbes.most(token + "/y"), "tenant y: one at a time");
    assertEquals(2, LimitProbes.most(token), "x and y ran side by side: one full partition does not hold the other");
  }

  /**
   * Nine jobs at 3 per second: no second (as the database counts it: the startedAt each claim wrote) holds more than
   * three starts, so the fourth start comes at least a second after the first, and all nine take over two seconds.
   */
  @Test
  void aRateLimitHoldsWithinEveryPeriodAcrossTwoGathers() throws Exception {
    String token = UUID.randomUUID().toString();
    List<String> jobs = enqueue("test.rated", token, List.of("x"), 9, 0);
    List<OffsetDateTime> starts = new ArrayList<>();
    for (String location : jobs) {
      JsonObject done = awaitJob(a, location, j -> j.getString("status").equals("succeeded"));
      starts.add(OffsetDateTime.parse(done.getString("startedAt")));
    }
    starts.sort(null);
    for (int i = 0; i + 3 < starts.size(); i++) {
      Duration between = Duration.between(starts.get(i), starts.get(i + 3));
      assertTrue(between.toMillis() >= 1000, "starts " + i + " and " + (i + 3) + " only " + between.toMillis()
          + " ms apart: " + starts);
    }
  }

  @Test
  void aPausedKindIsClaimedByNeitherGatherAndRunsOnceResumed() throws Exception {
    HttpResponse<Buffer> paused = a.client.post("/jobs/kinds/test.pausable/pause").send().await(10, TimeUnit.SECONDS);
    assertEquals(200, paused.statusCode(), paused.bodyAsString());
    assertTrue(paused.bodyAsJsonObject().getBoolean("paused"));
    assertNotNull(paused.bodyAsJsonObject().getString("pausedAt"));
    String token = UUID.randomUUID().toString();
    List<String> jobs = enqueue("test.pausable", token, List.of("x"), 4, 0);
    // Both gathers claim meanwhile: a plain job enqueued after the paused ones runs, through each of them.
    for (RunningGather via : List.of(a, b)) {
      String plain = via.client.post("/jobs").sendJsonObject(job("test.count", new JsonObject().put("token", token)))
          .await(10, TimeUnit.SECONDS).getHeader("Location");
      awaitJob(via, plain, j -> j.getString("status").equals("succeeded"));
    }
    JsonObject counts = Await.steady("test.pausable's counts", Duration.ofMillis(3 * POLL_MS), Duration.ofSeconds(10),
        () -> kind(b, "test.pausable").getJsonObject("counts"));
    assertEquals(4, counts.getLong("queued"), counts.encode());
    assertEquals(0, counts.getLong("running"), counts.encode());
    assertTrue(kind(b, "test.pausable").getBoolean("paused"), "the other gather sees the pause too");

    HttpResponse<Buffer> resumed = b.client.post("/jobs/kinds/test.pausable/resume").send().await(10, TimeUnit.SECONDS);
    assertEquals(200, resumed.statusCode(), resumed.bodyAsString());
    assertFalse(resumed.bodyAsJsonObject().getBoolean("paused"));
    for (String location : jobs) {
      awaitJob(a, location, j -> j.getString("status").equals("succeeded"));
    }
  }

  @Test
  void aKindPausedInConfigIsPausedUntilResumed() throws Exception {
    assertTrue(kind(a, "test.pausedbyconfig").getBoolean("paused"));
    String location = enqueue("test.pausedbyconfig", UUID.randomUUID().toString(), List.of("x"), 1, 0).get(0);
    String held = Await.steady("the job's status", Duration.ofMillis(3 * POLL_MS), Duration.ofSeconds(10),
        () -> b.client.get(location).send().await(10, TimeUnit.SECONDS).bodyAsJsonObject().getString("status"));
    assertEquals("queued", held);
    a.client.post("/jobs/kinds/test.pausedbyconfig/resume").send().await(10, TimeUnit.SECONDS);
    awaitJob(a, location, j -> j.getString("status").equals("succeeded"));
  }

  @Test
  void theKindsListShowsCountsPauseAndLimits() throws Exception {
    JsonObject limited = kind(a, "test.limited.tenant");
    assertEquals("blocking", limited.getString("pool"));
    assertEquals(new JsonObject().put("limit", 1).put("by", "input.tenant"),
        limited.getJsonObject("limits").getJsonObject("concurrency"));
    assertNull(limited.getJsonObject("limits").getJsonObject("rate"));
    assertEquals(new JsonObject().put("limit", 3).put("periodMs", 1000).putNull("by"),
        kind(a, "test.rated").getJsonObject("limits").getJsonObject("rate"));
    JsonObject plain = kind(a, "sleep");
    assertFalse(plain.getBoolean("paused"));
    assertEquals(new JsonObject().putNull("concurrency").putNull("rate"), plain.getJsonObject("limits"));
    assertEquals(List.of("queued", "running", "succeeded", "failed", "cancelled"),
        List.copyOf(plain.getJsonObject("counts").fieldNames()));
  }

  @Test
  void pausingAnUnknownKindIs404NamingTheKnownKinds() throws Exception {
    HttpResponse<Buffer> response = a.client.post("/jobs/kinds/no.such.kind/pause").send().await(10, TimeUnit.SECONDS);
    assertEquals(404, response.statusCode(), response.bodyAsString());
    assertEquals("application/problem+json", response.getHeader("Content-Type"));
    String detail = response.bodyAsJsonObject().getString("detail");
    assertTrue(detail.contains("no.such.kind") && detail.contains("test.pausable"), detail);
  }

  @Test
  void aLimitOnAKindNoGatherKnowsStopsTheStartNamingIt() {
    JsonObject config = new JsonObject().put("jobs", new JsonObject().put("kinds", new JsonObject()
        .put("slep", new JsonObject().put("concurrency", new JsonObject().put("limit", 1)))));
    IllegalStateException failed = assertThrows(IllegalStateException.class, () -> RunningGather.start(config));
    String message = String.valueOf(failed.getCause());
    assertTrue(message.contains("jobs.kinds.slep: no job kind \"slep\"; known kinds are") && message.contains("sleep"),
        message);
  }

  // ---- helpers ----

  /** {@code count} jobs of {@code kind}, spread over {@code tenants} and over both gathers; their Locations. */
  private static List<String> enqueue(String kind, String token, List<String> tenants, int count, long ms)
      throws Exception {
    JsonArray batch = new JsonArray();
    for (int i = 0; i < count; i++) {
      batch.add(job(kind, new JsonObject().put("token", token).put("tenant", tenants.get(i % tenants.size()))
          .put("ms", ms)));
    }
    List<String> locations = new ArrayList<>();
    for (RunningGather via : List.of(a, b)) {
      JsonArray half = new JsonArray(batch.getList().subList(via == a ? 0 : count / 2, via == a ? count / 2 : count));
      if (half.isEmpty()) {
        continue;
      }
      HttpResponse<Buffer> response = via.client.post("/jobs/batch").sendJsonObject(new JsonObject().put("jobs", half))
          .await(10, TimeUnit.SECONDS);
      assertEquals(202, response.statusCode(), response.bodyAsString());
      response.bodyAsJsonObject().getJsonArray("items")
          .forEach(item -> locations.add("/jobs/" + ((JsonObject) item).getLong("id")));
    }
    return locations;
  }

  private static JsonObject kind(RunningGather on, String kind) throws Exception {
    HttpResponse<Buffer> response = on.client.get("/jobs/kinds").send().await(10, TimeUnit.SECONDS);
    assertEquals(200, response.statusCode(), response.bodyAsString());
    return response.bodyAsJsonObject().getJsonArray("items").stream().map(JsonObject.class::cast)
        .filter(item -> item.getString("kind").equals(kind)).findFirst()
        .orElseThrow(() -> new AssertionError("no kind " + kind + " in " + response.bodyAsString()));
  }
}
