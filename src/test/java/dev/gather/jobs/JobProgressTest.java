package dev.gather.jobs;

import static dev.gather.jobs.JobsTest.awaitJob;
import static dev.gather.jobs.JobsTest.job;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gather.Await;
import dev.gather.RunningGather;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Snooze, progress, live events and Prefer: wait against a real PostgreSQL. {@code app} runs the jobs and polls only
 * once a minute, so what its watchers see in time came through NOTIFY; {@code apiOnly} shares the database without job
 * workers (and so without LISTEN), so what its watchers see came through their poll.
 */
class JobProgressTest {
  private static RunningGather app;
  private static RunningGather apiOnly;

  @BeforeAll
  static void start() {
    app = RunningGather.start(new JsonObject().put("jobs", new JsonObject()
        .put("pollMs", 60_000)
        .put("leaseMs", 1500) // heartbeats, which carry progress, every 500 ms
        .put("backoffMs", 50)
        .put("maxSnoozes", 3)
        .put("maxWatchers", 4)
        .put("maxWaitMs", 10_000)));
    apiOnly = RunningGather.startOn(app.databaseUrl, new JsonObject().put("jobs", new JsonObject()
        .put("enabled", false)
        .put("pollMs", 200)));
  }

  @AfterAll
  static void stop() throws Exception {
    apiOnly.close();
    app.close();
  }

  // ---- snooze ----

  @Test
  void aSnoozedJobRunsAgainLaterWithoutSpendingAnAttempt() throws Exception {
    String token = UUID.randomUUID().toString();
    String location = enqueue(job("test.snooze", new JsonObject().put("token", token).put("times", 2).put("ms", 100)));
    JsonObject done = awaitJob(app, location, j -> j.getString("status").equals("succeeded"));
    assertEquals(1, done.getInteger("attempts"), done.encode());
    assertEquals(2, done.getInteger("snoozes"));
    assertEquals(new JsonObject().put("run", 3).put("attempt", 1), done.getJsonObject("result"));
  }

  @Test
  void aJobThatSnoozesForeverSpendsAttemptsPastJobsMaxSnoozesAndEnds() throws Exception {
    String token = UUID.randomUUID().toString();
    String location = enqueue(job("test.snooze", new JsonObject().put("token", token).put("ms", 10))
        .put("maxAttempts", 2));
    JsonObject done = awaitJob(app, location, j -> j.getString("status").equals("failed"));
    assertEquals(3, done.getInteger("snoozes"), done.encode());
    assertEquals(2, done.getInteger("attempts"));
    assertTrue(done.getString("lastError").contains("jobs.maxSnoozes (3)"), done.getString("lastError"));
    assertEquals(5, ProgressHandlers.RUNS.get(token).get(), "maxSnoozes free runs, then maxAttempts spent ones");
  }

  // ---- progress ----

  @Test
  void progressReportedByAHandlerShowsInGetJobWhileItRuns() throws Exception {
    String token = UUID.randomUUID().toString();
    String location = enqueue(stepped(token, 40));
    JsonObject running = awaitJob(app, location, j -> j.getValue("progress") != null);
    assertEquals("running", running.getString("status"));
    assertEquals(new JsonObject().put("percent", 40).put("message", "step 0"), running.getJsonObject("progress"));
    ProgressHandlers.open(token, 0);
    JsonObject done = awaitJob(app, location, j -> j.getString("status").equals("succeeded"));
    assertEquals(40, done.getJsonObject("progress").getInteger("percent"), "the last report stays");
  }

  @Test
  void theLastReportOfARunIsWrittenWithItsOutcomeNotLostToTheHeartbeat() throws Exception {
    String location = enqueue(job("sleep", new JsonObject().put("ms", 0))); // ten reports within a millisecond
    JsonObject done = awaitJob(app, location, j -> j.getString("status").equals("succeeded"));
    assertEquals(new JsonObject().put("percent", 100).put("message", "slept 0 of 0 ms"), done.getJsonObject("progress"));
  }

  @Test
  void aJobThatNeverReportsHasNoProgress() throws Exception {
    String location = enqueue(job("test.where", new JsonObject()));
    JsonObject done = awaitJob(app, location, j -> j.getString("status").equals("succeeded"));
    assertNull(done.getValue("progress"));
  }

  // ---- GET /jobs/{id}/events ----

  @Test
  void eventsStreamStateProgressAndResultInOrderAndEndWithTheJob() throws Exception {
    String token = UUID.randomUUID().toString();
    String location = enqueue(stepped(token, 25, 75));
    EventStream stream = EventStream.open(app.vertx, app.port, location + "/events", event -> {
      // Each gate opens once the stream has shown its step: the job moves on only after the client saw it.
      if (event.name().equals("progress")) {
        ProgressHandlers.open(token, event.data().getInteger("percent") == 25 ? 0 : 1);
      }
    });
    assertEquals(200, stream.response.statusCode());
    assertTrue(stream.response.getHeader("Content-Type").startsWith("text/event-stream"));
    stream.awaitEnd(); // within 20 s while app polls once a minute: NOTIFY drove it
    stream.close();

    List<EventStream.Event> events = stream.events;
    for (int i = 0; i < events.size(); i++) {
      assertEquals(i + 1, events.get(i).id(), "ids count up without gaps: " + stream.names());
    }
    assertEquals("state", events.get(0).name(), "the job as it is comes first");
    assertEquals("result", events.get(events.size() - 1).name(), "the result comes last");
    assertEquals("succeeded", events.get(events.size() - 1).data().getString("status"));
    assertEquals(new JsonObject().put("steps", 2), events.get(events.size() - 1).data().getJsonObject("result"));
    List<Integer> percents = events.stream().filter(e -> e.name().equals("progress"))
        .map(e -> e.data().getInteger("percent")).toList();
    assertEquals(List.of(25, 75), percents);
    List<String> statuses = events.stream().filter(e -> e.name().equals("state"))
        .map(e -> e.data().getString("status")).toList();
    assertEquals("succeeded", statuses.get(statuses.size() - 1));
    assertTrue(List.of(List.of("queued", "running", "succeeded"), List.of("running", "succeeded")).contains(statuses),
        "states in the order they happened: " + statuses);
    int lastProgress = lastIndexOf(events, "progress");
    int succeeded = events.indexOf(events.stream()
        .filter(e -> e.name().equals("state") && e.data().getString("status").equals("succeeded")).findFirst().get());
    assertTrue(lastProgress < succeeded && succeeded == events.size() - 2, "progress, then the end: " + stream.names());
  }

  @Test
  void eventsReachAProcessWithoutJobWorkersThroughItsPoll() throws Exception {
    String token = UUID.randomUUID().toString();
    String location = enqueue(stepped(token, 50));
    EventStream stream = EventStream.open(apiOnly.vertx, apiOnly.port, location + "/events", event -> {
      if (event.name().equals("progress")) {
        ProgressHandlers.open(token, 0);
      }
    });
    stream.awaitEnd();
    stream.close();
    assertEquals("result", stream.names().get(stream.names().size() - 1), stream.names().toString());
    assertTrue(stream.names().contains("progress"));
  }

  @Test
  void eventsOfAFinishedJobAreItsStateAndResultThenTheStreamEnds() throws Exception {
    String location = enqueue(job("test.where", new JsonObject()));
    awaitJob(app, location, j -> j.getString("status").equals("succeeded"));
    EventStream stream = EventStream.open(app.vertx, app.port, location + "/events", event -> {});
    stream.awaitEnd();
    stream.close();
    assertEquals(List.of("state", "result"), stream.names());
  }

  @Test
  void eventsOfAnUnknownJobAre404Problem() throws Exception {
    HttpResponse<Buffer> response = app.client.get("/jobs/987654321/events").send().await(10, TimeUnit.SECONDS);
    assertEquals(404, response.statusCode());
    assertEquals("application/problem+json", response.getHeader("Content-Type"));
    assertTrue(response.bodyAsJsonObject().getString("detail").contains("no job with id 987654321"));
  }

  @Test
  void aStreamOnAJobThatDoesNotEndIsEndedAfterJobsMaxStreamMsAndFreesItsSlot() throws Exception {
    try (RunningGather brief = RunningGather.startOn(app.databaseUrl, new JsonObject().put("jobs", new JsonObject()
        .put("enabled", false).put("maxWatchers", 1).put("maxStreamMs", 500)))) {
      String location = enqueue(job("test.where", new JsonObject()).put("runAt", Instant.now().plusSeconds(3600).toString()));
      EventStream stream = EventStream.open(brief.vertx, brief.port, location + "/events", event -> {});
      assertEquals(200, stream.response.statusCode());
      stream.awaitEnd();
      stream.close();
      assertEquals(List.of("state"), stream.names(), "the job as it was, then the end: it is still queued");
      assertEquals(200, brief.client.get(location + "/events").putHeader("Accept", "text/event-stream").send()
          .await(10, TimeUnit.SECONDS).statusCode(), "its one watcher slot is free again");
    }
  }

  @Test
  void streamsBeyondJobsMaxWatchersAre503WithRetryAfterUntilOneEnds() throws Exception {
    String location = enqueue(job("test.where", new JsonObject()).put("runAt", Instant.now().plusSeconds(3600).toString()));
    List<EventStream> open = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      open.add(EventStream.open(app.vertx, app.port, location + "/events", event -> {}));
      assertEquals(200, open.get(i).response.statusCode());
    }
    HttpResponse<Buffer> refused = app.client.get(location + "/events").send().await(10, TimeUnit.SECONDS);
    assertEquals(503, refused.statusCode());
    assertEquals("application/problem+json", refused.getHeader("Content-Type"));
    assertTrue(refused.bodyAsJsonObject().getString("detail").contains("jobs.maxWatchers"));
    assertTrue(refused.getHeader("Retry-After") != null);

    app.client.delete(location).send().await(10, TimeUnit.SECONDS); // cancelled: every stream shows it and ends
    for (EventStream stream : open) {
      stream.awaitEnd();
      stream.close();
      assertEquals("cancelled", stream.events.get(stream.events.size() - 1).data().getString("status"));
    }
    Await.until("a slot to be free again", Duration.ofSeconds(10),
        () -> app.client.get(location + "/events").send().await(10, TimeUnit.SECONDS).statusCode() == 200);
  }

  // ---- POST /jobs with Prefer: wait ----

  @Test
  void preferWaitAnswers200WithTheFinishedJob() throws Exception {
    // This gather polls once a minute: a job passed over by a claim while the wait marked it watched (watch.sql)
    // ran only at the next poll, until watch.sql woke the workers again.
    HttpResponse<Buffer> response = app.client.post("/jobs").putHeader("Prefer", "wait=8")
        .sendJsonObject(job("test.where", new JsonObject())).await(20, TimeUnit.SECONDS);
    assertEquals(200, response.statusCode(), response.bodyAsString() + "; running meanwhile: "
        + app.client.get("/jobs?status=running").send().await(5, TimeUnit.SECONDS).bodyAsString());
    assertEquals("wait=8", response.getHeader("Preference-Applied"));
    assertEquals("succeeded", response.bodyAsJsonObject().getString("status"));
    assertTrue(response.bodyAsJsonObject().getJsonObject("result").getBoolean("worker"));
    assertEquals("/jobs/" + response.bodyAsJsonObject().getLong("id"), response.getHeader("Location"));
  }

  @Test
  void preferWaitAnswers202WithTheJobAsItIsWhenTheJobOutlastsTheWait() throws Exception {
    long started = System.nanoTime();
    HttpResponse<Buffer> response = app.client.post("/jobs").putHeader("Prefer", "respond-async, wait=1")
        .sendJsonObject(job("test.where", new JsonObject()).put("runAt", Instant.now().plusSeconds(3600).toString()))
        .await(10, TimeUnit.SECONDS);
    long tookMs = (System.nanoTime() - started) / 1_000_000;
    assertEquals(202, response.statusCode(), response.bodyAsString());
    assertEquals("wait=1", response.getHeader("Preference-Applied"));
    assertEquals("queued", response.bodyAsJsonObject().getString("status"));
    assertTrue(tookMs >= 1000, "waited the second asked for: " + tookMs + " ms");
    app.client.delete(response.getHeader("Location")).send().await(10, TimeUnit.SECONDS);
  }

  @Test
  void preferWaitLongerThanJobsMaxWaitMsIsCutToItAndSaysSo() throws Exception {
    HttpResponse<Buffer> response = app.client.post("/jobs").putHeader("Prefer", "wait=600")
        .sendJsonObject(job("test.where", new JsonObject())).await(20, TimeUnit.SECONDS);
    assertEquals(200, response.statusCode(), response.bodyAsString());
    assertEquals("wait=10", response.getHeader("Preference-Applied"));
  }

  @Test
  void preferWaitThatIsNotWholeSecondsIs400ProblemAndQueuesNothing() throws Exception {
    String token = UUID.randomUUID().toString();
    HttpResponse<Buffer> response = app.client.post("/jobs").putHeader("Prefer", "wait=soon")
        .sendJsonObject(job("test.snooze", new JsonObject().put("token", token).put("ms", 1)))
        .await(10, TimeUnit.SECONDS);
    assertEquals(400, response.statusCode());
    assertEquals("application/problem+json", response.getHeader("Content-Type"));
    assertTrue(response.bodyAsJsonObject().getString("detail").contains("Prefer: wait must be a whole number"));
    assertNull(ProgressHandlers.RUNS.get(token));
  }

  // ---- helpers ----

  private static JsonObject stepped(String token, int... percents) {
    JsonArray steps = new JsonArray();
    for (int percent : percents) {
      steps.add(percent);
    }
    return job("test.progress", new JsonObject().put("token", token).put("steps", steps));
  }

  private static String enqueue(JsonObject job) throws Exception {
    HttpResponse<Buffer> response = app.client.post("/jobs").sendJsonObject(job).await(10, TimeUnit.SECONDS);
    assertEquals(202, response.statusCode(), response.bodyAsString());
    return response.getHeader("Location");
  }

  private static int lastIndexOf(List<EventStream.Event> events, String name) {
    for (int i = events.size() - 1; i >= 0; i--) {
      if (events.get(i).name().equals(name)) {
        return i;
      }
    }
    return -1;
  }
}
