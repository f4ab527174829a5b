package dev.gather.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gather.Await;
import dev.gather.RunningGather;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The durable queue and POST /compute against one running gather and a real PostgreSQL. Every test uses its own
 * kinds' tokens or inputs, so the tests do not see each other's jobs.
 */
class JobsTest {
  private static RunningGather app;
  private static Path files;

  @BeforeAll
  static void start() throws Exception {
    files = Files.createTempDirectory("gather-jobs");
    app = RunningGather.start(new JsonObject().put("jobs", new JsonObject()
        .put("cpuWorkers", 2)
        .put("blockingWorkers", 4)
        .put("computeQueue", 1)
        .put("backoffMs", 200)
        .put("backoffMaxMs", 5000)
        .put("pollMs", 200)
        .put("filesDir", files.toString())));
  }

  @AfterAll
  static void stop() throws Exception {
    app.close();
  }

  // ---- POST /compute ----

  @Test
  void computeAnswersWithTheResult() throws Exception {
    HttpResponse<Buffer> response = post("/compute/cpu.sum", new JsonObject().put("n", 10));
    assertEquals(200, response.statusCode(), response.bodyAsString());
    assertEquals("285", response.bodyAsJsonObject().getJsonObject("result").getString("sum"));
  }

  @Test
  void computeRunsOnTheKindsWorkerPoolNeverAnEventLoop() throws Exception {
    JsonObject cpu = post("/compute/test.where", new JsonObject()).bodyAsJsonObject().getJsonObject("result");
    JsonObject blocking = post("/compute/test.where.blocking", new JsonObject()).bodyAsJsonObject().getJsonObject("result");
    assertTrue(cpu.getString("thread").startsWith("gather-cpu"), cpu.encode());
    assertTrue(blocking.getString("thread").startsWith("gather-blocking"), blocking.encode());
    assertFalse(cpu.getBoolean("eventLoop"));
    assertTrue(cpu.getBoolean("worker"));
  }

  @Test
  void computeRejectsBadInputWith400() throws Exception {
    HttpResponse<Buffer> response = post("/compute/cpu.sum", new JsonObject().put("n", -1));
    assertEquals(400, response.statusCode());
    assertEquals("application/problem+json", response.getHeader("Content-Type"));
    assertTrue(response.bodyAsJsonObject().getString("detail").contains("n"), response.bodyAsString());
  }

  @Test
  void computeOfAnUnknownKindIs404() throws Exception {
    HttpResponse<Buffer> response = post("/compute/no.such.kind", new JsonObject());
    assertEquals(404, response.statusCode());
    assertTrue(response.bodyAsJsonObject().getString("detail").contains("cpu.sum"), "lists the known kinds");
  }

  @Test
  void computeThatRunsTooLongIs504AndStopsTheJob() throws Exception {
    long began = System.nanoTime();
    HttpResponse<Buffer> response = post("/compute/sleep?timeoutMs=200", new JsonObject().put("ms", 20_000));
    long ms = (System.nanoTime() - began) / 1_000_000;
    assertEquals(504, response.statusCode(), response.bodyAsString());
    assertTrue(ms < 2000, "answered after " + ms + " ms");
    // The sleeping runner noticed the signal and is free again: all four blocking workers can run at once.
    awaitMetric("gather_job_workers_busy{pool=\"blocking\"} 0.0");
  }

  @Test
  void computeBeyondThePoolAndItsQueueIs503WithRetryAfter() throws Exception {
    // Two CPU workers and a queue of one: two calls run, one waits, the fourth is turned away at once.
    List<Future<HttpResponse<Buffer>>> calls = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      calls.add(app.client.post("/compute/cpu.sum?timeoutMs=3000").sendJsonObject(new JsonObject().put("n", 4_000_000_000L)));
    }
    awaitMetric("gather_compute_waiting{pool=\"cpu\"} 1.0");
    HttpResponse<Buffer> refused = post("/compute/cpu.sum", new JsonObject().put("n", 1));
    assertEquals(503, refused.statusCode(), refused.bodyAsString());
    // Nothing has finished yet, so a runner is sure to be free only when the first sum hits its 3 s timeout.
    int retryAfter = Integer.parseInt(refused.getHeader("Retry-After"));
    assertTrue(retryAfter >= 1 && retryAfter <= 3, "Retry-After " + retryAfter + " s: the first timeout is under 3 s away");
    assertTrue(refused.bodyAsJsonObject().getString("detail").contains("jobs.computeQueue"));
    for (Future<HttpResponse<Buffer>> call : calls) {
      assertEquals(504, call.await(10, TimeUnit.SECONDS).statusCode(), "the big sums time out at 3 s");
    }
    awaitMetric("gather_job_workers_busy{pool=\"cpu\"} 0.0");
  }

  // ---- durable jobs ----

  @Test
  void enqueuedJobRunsAndKeepsItsResult() throws Exception {
    HttpResponse<Buffer> response = post("/jobs", job("cpu.sum", new JsonObject().put("n", 10)));
    assertEquals(202, response.statusCode(), response.bodyAsString());
    String location = response.getHeader("Location");
    assertEquals("/jobs/" + response.bodyAsJsonObject().getLong("id"), location);
    JsonObject done = awaitJob(location, j -> j.getString("status").equals("succeeded"));
    assertEquals("285", done.getJsonObject("result").getString("sum"));
    assertEquals(1, done.getInteger("attempts"));
    assertNotNull(done.getString("worker"));
    assertNotNull(done.getString("finishedAt"));
  }

  @Test
  void batchQueuesEveryJobInOrder() throws Exception {
    String token = UUID.randomUUID().toString();
    JsonArray jobs = new JsonArray();
    for (int i = 0; i < 3; i++) {
      jobs.add(job("test.count", new JsonObject().put("token", token + i)));
    }
    HttpResponse<Buffer> response = post("/jobs/batch", new JsonObject().put("jobs", jobs));
    assertEquals(202, response.statusCode(), response.bodyAsString());
    JsonArray items = response.bodyAsJsonObject().getJsonArray("items");
    assertEquals(3, items.size());
    for (int i = 0; i < 3; i++) {
      JsonObject queued = items.getJsonObject(i);
      assertEquals(token + i, queued.getJsonObject("input").getString("token"), "answers in the order sent");
      awaitJob("/jobs/" + queued.getLong("id"), j -> j.getString("status").equals("succeeded"));
    }
  }

  @Test
  void batchWithOneBadJobQueuesNone() throws Exception {
    String token = UUID.randomUUID().toString();
    JsonArray jobs = new JsonArray()
        .add(job("test.count", new JsonObject().put("token", token)))
        .add(job("cpu.sum", new JsonObject().put("n", -3)));
    HttpResponse<Buffer> response = post("/jobs/batch", new JsonObject().put("jobs", jobs));
    assertEquals(400, response.statusCode());
    assertTrue(response.bodyAsJsonObject().getString("detail").startsWith("jobs[1]: "), response.bodyAsString());
    // A job queued after the batch runs once the workers have passed anything the batch could have queued.
    String after = post("/jobs", job("test.count", new JsonObject().put("token", UUID.randomUUID().toString())))
        .getHeader("Location");
    awaitJob(after, j -> j.getString("status").equals("succeeded"));
    assertNull(TestHandlers.RUNS.get(token), "the good job was not queued either");
  }

  @Test
  void customKindFromTheClassPathRunsAsADurableJob() throws Exception {
    String location = post("/jobs", job("test.where", new JsonObject())).getHeader("Location");
    JsonObject done = awaitJob(location, j -> j.getString("status").equals("succeeded"));
    assertTrue(done.getJsonObject("result").getString("thread").startsWith("gather-cpu"), done.encode());
  }

  @Test
  void enqueueRejectsUnknownKindsBadInputAndUnknownFields() throws Exception {
    assertEquals(400, post("/jobs", job("no.such.kind", new JsonObject())).statusCode());
    assertEquals(400, post("/jobs", job("cpu.sum", new JsonObject().put("n", "many"))).statusCode());
    HttpResponse<Buffer> unknown = post("/jobs", job("cpu.sum", new JsonObject().put("n", 1)).put("color", "red"));
    assertEquals(400, unknown.statusCode());
    assertTrue(unknown.bodyAsJsonObject().getString("detail").contains("color"));
    assertEquals(400, post("/jobs", job("cpu.sum", new JsonObject().put("n", 1)).put("runAt", "tomorrow")).statusCode());
    HttpResponse<Buffer> nul = post("/jobs", job("test.count", new JsonObject().put("token", "a\u0000b")));
    assertEquals(400, nul.statusCode(), nul.bodyAsString());
    assertTrue(nul.bodyAsJsonObject().getString("detail").contains("NUL"));
    assertEquals(404, app.client.get("/jobs/999999999").send().await(5, TimeUnit.SECONDS).statusCode());
  }

  @Test
  void failingJobIsRetriedWithGrowingBackoffUntilItSucceeds() throws Exception {
    String token = UUID.randomUUID().toString();
    String location = post("/jobs", job("test.flaky", new JsonObject().put("token", token).put("fail", 2))
        .put("maxAttempts", 3)).getHeader("Location");
    JsonObject done = awaitJob(location, j -> j.getString("status").equals("succeeded"));
    assertEquals(3, done.getInteger("attempts"));
    assertEquals("flaky failure on attempt 2", done.getString("lastError"), "the last error is kept");
    List<Long> starts = TestHandlers.attemptStarts(token);
    assertEquals(3, starts.size());
    long firstGap = (starts.get(1) - starts.get(0)) / 1_000_000;
    long secondGap = (starts.get(2) - starts.get(1)) / 1_000_000;
    // backoffMs 200 with equal jitter: the first delay is 100-200 ms, the second 200-400 ms.
    assertTrue(firstGap >= 100, "first retry after " + firstGap + " ms");
    assertTrue(secondGap >= 200, "second retry after " + secondGap + " ms");
  }

  @Test
  void jobOutOfAttemptsFailsWithItsLastError() throws Exception {
    String token = UUID.randomUUID().toString();
    String location = post("/jobs", job("test.flaky", new JsonObject().put("token", token).put("fail", 5))
        .put("maxAttempts", 2)).getHeader("Location");
    JsonObject done = awaitJob(location, j -> j.getString("status").equals("failed"));
    assertEquals(2, done.getInteger("attempts"));
    assertEquals("flaky failure on attempt 2", done.getString("lastError"));
    assertEquals(2, TestHandlers.attemptStarts(token).size());
  }

  @Test
  void jobThatRunsPastItsTimeoutIsStoppedAndFails() throws Exception {
    long began = System.nanoTime();
    String location = post("/jobs", job("sleep", new JsonObject().put("ms", 60_000))
        .put("timeoutMs", 300).put("maxAttempts", 1)).getHeader("Location");
    JsonObject done = awaitJob(location, j -> j.getString("status").equals("failed"));
    long ms = (System.nanoTime() - began) / 1_000_000;
    assertEquals("timed out after 300 ms", done.getString("lastError"));
    assertTrue(ms < 5000, "failed after " + ms + " ms");
  }

  @Test
  void jobThatIgnoresItsTimeoutIsFailedWithoutItAndNotLeftRunning() throws Exception {
    long began = System.nanoTime();
    String location = post("/jobs", job("test.stubborn", new JsonObject().put("ms", 9000))
        .put("timeoutMs", 200).put("maxAttempts", 1)).getHeader("Location");
    JsonObject done = awaitJob(location, j -> j.getString("status").equals("failed"));
    long ms = (System.nanoTime() - began) / 1_000_000;
    assertEquals("timed out after 200 ms; the handler did not stop", done.getString("lastError"));
    assertTrue(ms < 8000, "failed after " + ms + " ms, before the handler returned");
  }

  @Test
  void errorMessageWithANulCharacterIsStoredNotLost() throws Exception {
    String location = post("/jobs", job("test.flaky", new JsonObject().put("token", UUID.randomUUID().toString())
        .put("fail", 1).put("nul", true)).put("maxAttempts", 1)).getHeader("Location");
    JsonObject done = awaitJob(location, j -> j.getString("status").equals("failed"));
    assertEquals("flaky failure on attempt 1 with a \uFFFD inside", done.getString("lastError"));
  }

  @Test
  void cancellingAQueuedJobEndsItAtOnceAndItNeverRuns() throws Exception {
    String token = UUID.randomUUID().toString();
    Instant runAt = Instant.now().plusSeconds(2);
    String location = post("/jobs", job("test.count", new JsonObject().put("token", token))
        .put("runAt", runAt.toString())).getHeader("Location");
    HttpResponse<Buffer> cancelled = app.client.delete(location).send().await(5, TimeUnit.SECONDS);
    assertEquals(200, cancelled.statusCode(), cancelled.bodyAsString());
    assertEquals("cancelled", cancelled.bodyAsJsonObject().getString("status"));
    // Jobs are taken in the order they fall due: one due just after it has run once the workers are past its runAt.
    String after = post("/jobs", job("test.count", new JsonObject().put("token", UUID.randomUUID().toString()))
        .put("runAt", runAt.plusMillis(100).toString())).getHeader("Location");
    awaitJob(after, j -> j.getString("status").equals("succeeded"));
    assertNull(TestHandlers.RUNS.get(token), "a cancelled job never runs");
    assertEquals(409, app.client.delete(location).send().await(5, TimeUnit.SECONDS).statusCode(), "already cancelled");
  }

  @Test
  void cancellingARunningJobStopsItCooperatively() throws Exception {
    String location = post("/jobs", job("sleep", new JsonObject().put("ms", 60_000))).getHeader("Location");
    awaitJob(location, j -> j.getString("status").equals("running"));
    long began = System.nanoTime();
    HttpResponse<Buffer> asked = app.client.delete(location).send().await(5, TimeUnit.SECONDS);
    assertEquals(202, asked.statusCode(), asked.bodyAsString());
    assertTrue(asked.bodyAsJsonObject().getBoolean("cancelRequested"));
    JsonObject done = awaitJob(location, j -> j.getString("status").equals("cancelled"));
    long ms = (System.nanoTime() - began) / 1_000_000;
    assertTrue(ms < 2000, "stopped " + ms + " ms after the request");
    assertEquals(1, done.getInteger("attempts"), "a cancelled job is not retried");
  }

  @Test
  void sameIdempotencyKeyReturnsTheSameJob() throws Exception {
    String key = UUID.randomUUID().toString();
    JsonObject body = job("cpu.sum", new JsonObject().put("n", 7));
    HttpResponse<Buffer> first = postWithKey("/jobs", body, key);
    HttpResponse<Buffer> second = postWithKey("/jobs", body, key);
    assertEquals(202, first.statusCode());
    assertEquals(202, second.statusCode());
    assertEquals(first.getHeader("Location"), second.getHeader("Location"));
    assertEquals("true", second.getHeader("Idempotent-Replayed"));
    assertNull(first.getHeader("Idempotent-Replayed"));
    HttpResponse<Buffer> other = postWithKey("/jobs", job("cpu.sum", new JsonObject().put("n", 8)), key);
    assertEquals(409, other.statusCode(), "same key, different job");
    JsonArray items = app.client.get("/jobs?kind=cpu.sum&limit=500").send().await(5, TimeUnit.SECONDS)
        .bodyAsJsonObject().getJsonArray("items");
    long withKey = items.stream().map(JsonObject.class::cast).filter(j -> key.equals(j.getString("idempotencyKey"))).count();
    assertEquals(1, withKey, "one job for the key");
  }

  @Test
  void jobSurvivesTheClientDisconnectingRightAfterSending() throws Exception {
    String token = UUID.randomUUID().toString();
    String body = job("test.count", new JsonObject().put("token", token)).encode();
    try (Socket socket = new Socket("127.0.0.1", app.port)) {
      OutputStream out = socket.getOutputStream();
      out.write(("POST /jobs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
          + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body).getBytes(StandardCharsets.UTF_8));
      out.flush();
    } // closed before reading a byte of the answer
    Await.until("the job to run although its client left", Duration.ofSeconds(10),
        () -> TestHandlers.RUNS.get(token) != null);
    assertEquals(1, TestHandlers.RUNS.get(token).get());
  }

  @Test
  void higherPriorityRunsFirst() throws Exception {
    // Both are due at the same moment, a second from now, so both are queued when the workers look.
    String at = Instant.now().plusSeconds(1).toString();
    String low = post("/jobs", job("test.where.blocking", new JsonObject()).put("runAt", at).put("priority", -5)).getHeader("Location");
    String high = post("/jobs", job("test.where.blocking", new JsonObject()).put("runAt", at).put("priority", 5)).getHeader("Location");
    JsonObject lowDone = awaitJob(low, j -> j.getString("status").equals("succeeded"));
    JsonObject highDone = awaitJob(high, j -> j.getString("status").equals("succeeded"));
    assertTrue(Instant.parse(highDone.getString("startedAt")).compareTo(Instant.parse(lowDone.getString("startedAt"))) <= 0,
        "high started " + highDone.getString("startedAt") + ", low " + lowDone.getString("startedAt"));
  }

  @Test
  void runAtDelaysTheJob() throws Exception {
    Instant at = Instant.now().plusMillis(1500);
    String location = post("/jobs", job("test.where.blocking", new JsonObject()).put("runAt", at.toString())).getHeader("Location");
    assertEquals("queued", get(location).getString("status"));
    JsonObject done = awaitJob(location, j -> j.getString("status").equals("succeeded"));
    assertFalse(Instant.parse(done.getString("startedAt")).isBefore(at), "started " + done.getString("startedAt"));
  }

  @Test
  void listFiltersByStatusAndKindAndPagesNewestFirst() throws Exception {
    String token = UUID.randomUUID().toString();
    List<Long> ids = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      ids.add(post("/jobs", job("test.count", new JsonObject().put("token", token))
          .put("runAt", Instant.now().plusSeconds(3600).toString())).bodyAsJsonObject().getLong("id"));
    }
    JsonObject page = get("/jobs?status=queued&kind=test.count&limit=2");
    JsonArray items = page.getJsonArray("items");
    assertEquals(2, items.size());
    assertEquals(ids.get(4), items.getJsonObject(0).getLong("id"), "newest first");
    assertEquals(ids.get(3), items.getJsonObject(1).getLong("id"));
    JsonObject next = get(page.getString("next"));
    assertEquals(ids.get(2), next.getJsonArray("items").getJsonObject(0).getLong("id"));
    assertEquals(ids.get(4), get("/jobs?limit=1").getJsonArray("items").getJsonObject(0).getLong("id"), "unfiltered");
    assertEquals(ids.get(4), get("/jobs?kind=test.count&limit=1").getJsonArray("items").getJsonObject(0).getLong("id"));
    assertEquals(ids.get(4), get("/jobs?status=queued&limit=1").getJsonArray("items").getJsonObject(0).getLong("id"));
    assertEquals(400, app.client.get("/jobs?status=sleeping").send().await(5, TimeUnit.SECONDS).statusCode());
    for (long id : ids) {
      app.client.delete("/jobs/" + id).send().await(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void usersExportWritesEveryUserToACsvFileInBatches() throws Exception {
    for (int i = 0; i < 5; i++) {
      app.client.post("/users").sendJsonObject(new JsonObject().put("email", "csv" + i + "@example.com")
          .put("name", i == 0 ? "Lovelace, \"Ada\"" : "User " + i)).await(5, TimeUnit.SECONDS);
    }
    String location = post("/jobs", job("users.export", new JsonObject().put("file", "all-users.csv").put("batchSize", 2)))
        .getHeader("Location");
    JsonObject done = awaitJob(location, j -> j.getString("status").equals("succeeded"));
    Path file = Path.of(done.getJsonObject("result").getString("file"));
    assertEquals(files.resolve("all-users.csv"), file);
    List<String> lines = Files.readAllLines(file);
    assertEquals("id,email,name,created_at,updated_at", lines.get(0));
    long users = app.client.get("/users?limit=500").send().await(5, TimeUnit.SECONDS).bodyAsJsonObject()
        .getJsonArray("items").size();
    assertEquals(users, done.getJsonObject("result").getLong("rows"));
    assertEquals(users + 1, lines.size());
    assertTrue(lines.stream().anyMatch(l -> l.contains(",\"Lovelace, \"\"Ada\"\"\",")), "RFC 4180 quoting");
  }

  @Test
  void metricsShowDepthRunsAttemptsAndFailures() throws Exception {
    String location = post("/jobs", job("test.flaky", new JsonObject().put("token", UUID.randomUUID().toString())
        .put("fail", 1))).getHeader("Location");
    awaitJob(location, j -> j.getString("status").equals("succeeded"));
    String later = post("/jobs", job("test.where", new JsonObject()).put("runAt", Instant.now().plusSeconds(3600).toString()))
        .getHeader("Location");
    String metrics = awaitMetric("gather_jobs{kind=\"test.where\",status=\"queued\"} 1.0");
    app.client.delete(later).send().await(5, TimeUnit.SECONDS);
    assertTrue(metrics.contains("gather_job_seconds_count{kind=\"test.flaky\",outcome=\"retried\",source=\"job\"}"), "runs by outcome");
    assertTrue(metrics.contains("gather_job_attempts_total{kind=\"test.flaky\"}"));
    assertTrue(metrics.contains("gather_job_failures_total{kind=\"test.flaky\",reason=\"error\"}"));
  }

  // ---- helpers ----

  static JsonObject job(String kind, JsonObject input) {
    return new JsonObject().put("kind", kind).put("input", input);
  }

  private static HttpResponse<Buffer> post(String path, JsonObject body) throws Exception {
    return app.client.post(path).sendJsonObject(body).await(30, TimeUnit.SECONDS);
  }

  private static HttpResponse<Buffer> postWithKey(String path, JsonObject body, String key) throws Exception {
    return app.client.post(path).putHeader("Idempotency-Key", key).sendJsonObject(body).await(10, TimeUnit.SECONDS);
  }

  private static JsonObject get(String path) throws Exception {
    HttpResponse<Buffer> response = app.client.get(path).send().await(10, TimeUnit.SECONDS);
    assertEquals(200, response.statusCode(), response.bodyAsString());
    return response.bodyAsJsonObject();
  }

  static JsonObject awaitJob(RunningGather on, String location, Predicate<JsonObject> condition) throws Exception {
    return Await.value("job " + location + " to reach the expected state", Duration.ofSeconds(20),
        () -> on.client.get(location).send().await(10, TimeUnit.SECONDS).bodyAsJsonObject(), condition);
  }

  private static JsonObject awaitJob(String location, Predicate<JsonObject> condition) throws Exception {
    return awaitJob(app, location, condition);
  }

  private static String awaitMetric(String line) throws Exception {
    try {
      return Await.value("the metric line " + line, Duration.ofSeconds(10),
          () -> app.client.get("/metrics").send().await(5, TimeUnit.SECONDS).bodyAsString(), m -> m.contains(line));
    } catch (AssertionError missing) {
      throw new AssertionError("no metric line " + line); // not the whole scrape
    }
  }
}
