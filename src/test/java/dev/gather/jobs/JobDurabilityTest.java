package dev.gather.jobs;

import static dev.gather.jobs.JobsTest.awaitJob;
import static dev.gather.jobs.JobsTest.job;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gather.Await;
import dev.gather.GatherProcess;
import dev.gather.RunningGather;
import dev.gather.TestDatabase;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** What the queue promises across processes: each job runs once, a dead worker's job is rescued, old jobs go. */
class JobDurabilityTest {
  private static final JsonObject FAST_LEASES = new JsonObject().put("jobs", new JsonObject()
      .put("leaseMs", 1000)
      .put("rescueIntervalMs", 200)
      .put("pollMs", 200)
      .put("blockingWorkers", 4));

  /**
   * Nobody dies here, so a lease may not run out either: with 1 s leases, two gathers, PostgreSQL and the build
   * on two cores, a stall of a second (seen in CI) let a rescuer requeue a job whose run was fine.
   */
  private static final JsonObject SAFE_LEASES = FAST_LEASES.copy();

  static {
    SAFE_LEASES.getJsonObject("jobs").put("leaseMs", 10_000);
  }

  @Test
  void fiveHundredJobsOverTwoGathersEachRunExactlyOnce() throws Exception {
    String prefix = UUID.randomUUID() + "-";
    try (RunningGather a = RunningGather.start(SAFE_LEASES);
        RunningGather b = RunningGather.startOn(a.databaseUrl, SAFE_LEASES)) {
      List<Future<HttpResponse<Buffer>>> enqueued = new ArrayList<>();
      for (int i = 0; i < 500; i++) {
        WebClient via = i % 2 == 0 ? a.client : b.client; // enqueued through both, too
        enqueued.add(via.post("/jobs").sendJsonObject(job("test.count",
            new JsonObject().put("token", prefix + i).put("ms", 2))));
      }
      for (Future<HttpResponse<Buffer>> response : enqueued) {
        assertEquals(202, response.await(30, TimeUnit.SECONDS).statusCode());
      }

      List<JsonObject> done = awaitAllSucceeded(a, 500);
      Set<String> workers = new HashSet<>();
      done.forEach(j -> workers.add(j.getString("worker")));
      assertEquals(2, workers.size(), "both gathers ran jobs: " + workers);
      for (int i = 0; i < 500; i++) {
        AtomicInteger runs = TestHandlers.RUNS.get(prefix + i);
        assertEquals(1, runs == null ? 0 : runs.get(), "runs of job " + i);
      }
      assertTrue(done.stream().allMatch(j -> j.getInteger("attempts") == 1), "no job needed a second attempt");
    }
  }

  @Test
  void jobOfAKilledProcessIsRescuedAndFinishedByAnother() throws Exception {
    String database = TestDatabase.fresh();
    String location;
    String deadWorker;
    try (GatherProcess doomed = GatherProcess.start(Map.of(
        "GATHER_DB_URL", database,
        "GATHER_JOBS_LEASE_MS", "1000",
        "GATHER_JOBS_RESCUE_INTERVAL_MS", "200"))) {
      doomed.awaitReady(Duration.ofSeconds(30));
      WebClient client = WebClient.create(io.vertx.core.Vertx.vertx());
      HttpResponse<Buffer> enqueued = client.post(doomed.port, "127.0.0.1", "/jobs")
          .sendJsonObject(job("sleep", new JsonObject().put("ms", 3000)).put("maxAttempts", 3))
          .await(10, TimeUnit.SECONDS);
      assertEquals(202, enqueued.statusCode(), enqueued.bodyAsString());
      location = enqueued.getHeader("Location");
      JsonObject running = Await.value("the job to be running", Duration.ofSeconds(10),
          () -> client.get(doomed.port, "127.0.0.1", location).send().await(5, TimeUnit.SECONDS).bodyAsJsonObject(),
          j -> j.getString("status").equals("running"));
      deadWorker = running.getString("worker");
      assertTrue(deadWorker.contains("/" + doomed.process.pid() + "/"), deadWorker);
      doomed.process.destroyForcibly().waitFor(10, TimeUnit.SECONDS); // kill -9: no drain, no release
      client.close();
    }

    try (RunningGather rescuer = RunningGather.startOn(database, FAST_LEASES)) {
      JsonObject done = awaitJob(rescuer, location, j -> j.getString("status").equals("succeeded"));
      assertEquals(1, done.getInteger("rescues"));
      assertEquals(2, done.getInteger("attempts"), "the killed run counts as an attempt");
      assertNotEquals(deadWorker, done.getString("worker"));
      assertTrue(done.getString("lastError").contains("lease expired: worker " + deadWorker), done.getString("lastError"));
      String metrics = rescuer.client.get("/metrics").send().await(5, TimeUnit.SECONDS).bodyAsString();
      assertTrue(metrics.contains("gather_job_rescued_total{result=\"requeued\"} 1.0"), "rescue counted");
    }
  }

  @Test
  void finishedJobsAreDeletedAfterTheRetention() throws Exception {
    try (RunningGather app = RunningGather.start(new JsonObject().put("jobs", new JsonObject().put("retentionMs", 300)))) {
      String location = app.client.post("/jobs").sendJsonObject(job("cpu.sum", new JsonObject().put("n", 3)))
          .await(10, TimeUnit.SECONDS).getHeader("Location");
      awaitJob(app, location, j -> "succeeded".equals(j.getString("status")));
      int status = Await.value("the finished job to be deleted", Duration.ofSeconds(10),
          () -> app.client.get(location).send().await(5, TimeUnit.SECONDS).statusCode(), s -> s != 200);
      assertEquals(404, status, "the finished job was deleted");
    }
  }

  @Test
  void aGatherWithoutWorkersQueuesJobsThatAnotherGatherRuns() throws Exception {
    try (RunningGather front = RunningGather.start(new JsonObject().put("jobs", new JsonObject().put("enabled", false)))) {
      HttpResponse<Buffer> compute = front.client.post("/compute/cpu.sum").sendJsonObject(new JsonObject().put("n", 5))
          .await(10, TimeUnit.SECONDS);
      assertEquals(503, compute.statusCode(), compute.bodyAsString());
      assertTrue(compute.bodyAsJsonObject().getString("detail").contains("jobs.enabled"));

      String location = front.client.post("/jobs").sendJsonObject(job("cpu.sum", new JsonObject().put("n", 5)))
          .await(10, TimeUnit.SECONDS).getHeader("Location");
      // Rather than waiting to see nothing happen: this gather has no worker that could run it.
      assertFalse(front.client.get("/metrics").send().await(5, TimeUnit.SECONDS).bodyAsString()
          .contains("gather_job_workers_busy"), "a gather with jobs.enabled false has no job workers");
      assertEquals("queued", front.client.get(location).send().await(5, TimeUnit.SECONDS).bodyAsJsonObject()
          .getString("status"), "nobody here runs it");
      try (RunningGather worker = RunningGather.startOn(front.databaseUrl, new JsonObject())) {
        JsonObject done = awaitJob(front, location, j -> j.getString("status").equals("succeeded"));
        assertEquals("30", done.getJsonObject("result").getString("sum"));
      }
    }
  }

  @Test
  void notifyWakesIdleWorkersAtOnceAndThePollFindsJobsWithoutOne() throws Exception {
    try (RunningGather app = RunningGather.start(new JsonObject().put("jobs", new JsonObject().put("pollMs", 1500)))) {
      // A row written behind gather's back sends no NOTIFY: only the poll can find it.
      TestDatabase.execute(io.vertx.pgclient.PgConnectOptions.fromUri(app.databaseUrl),
          "INSERT INTO jobs (kind, input, max_attempts, timeout_ms) VALUES ('cpu.sum', '{\"n\": 3}', 1, 1000)");
      Await.until("the poll to find the job that no NOTIFY announced", Duration.ofSeconds(10),
          () -> app.client.get("/jobs?kind=cpu.sum&status=succeeded").send().await(5, TimeUnit.SECONDS)
              .bodyAsJsonObject().getJsonArray("items").stream().map(JsonObject.class::cast)
              .anyMatch(j -> j.getJsonObject("input").getInteger("n") == 3));

      // A poll has just run, so the next one is pollMs away: a job that runs sooner was woken by its NOTIFY.
      long began = System.nanoTime();
      String notified = app.client.post("/jobs").sendJsonObject(job("cpu.sum", new JsonObject().put("n", 2)))
          .await(10, TimeUnit.SECONDS).getHeader("Location");
      awaitJob(app, notified, j -> j.getString("status").equals("succeeded"));
      long notifiedMs = (System.nanoTime() - began) / 1_000_000;
      assertTrue(notifiedMs < 1000, "an inserted job ran " + notifiedMs + " ms later: woken by NOTIFY, not the poll");
    }
  }

  private static List<JsonObject> awaitAllSucceeded(RunningGather app, int expected) throws Exception {
    try {
      return Await.value("all " + expected + " jobs to succeed", Duration.ofSeconds(60), () -> {
        List<JsonObject> jobs = new ArrayList<>();
        String page = "/jobs?kind=test.count&status=succeeded&limit=500";
        while (page != null) {
          JsonObject body = app.client.get(page).send().await(10, TimeUnit.SECONDS).bodyAsJsonObject();
          JsonArray items = body.getJsonArray("items");
          items.forEach(item -> jobs.add((JsonObject) item));
          page = body.getString("next");
        }
        return jobs;
      }, jobs -> jobs.size() >= expected);
    } catch (AssertionError notAll) {
      throw new AssertionError("not all " + expected + " jobs succeeded within 60 s"); // not every job listed
    }
  }
}
