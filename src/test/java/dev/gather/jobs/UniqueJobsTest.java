package dev.gather.jobs;

import static dev.gather.jobs.JobsTest.awaitJob;
import static dev.gather.jobs.JobsTest.job;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gather.Await;
import dev.gather.RunningGather;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
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
 * Unique jobs against a real PostgreSQL shared by two gathers. Every test uses its own userId, so the tests do not
 * hold each other's keys. Jobs that must stay in the queue are queued an hour ahead (runAt), so no worker ends them.
 */
class UniqueJobsTest {
  private static RunningGather a;
  private static RunningGather b;

  @BeforeAll
  static void start() {
    JsonObject config = new JsonObject().put("jobs", new JsonObject().put("pollMs", 200).put("leaseMs", 10_000));
    a = RunningGather.start(config);
    b = RunningGather.startOn(a.databaseUrl, config);
  }

  @AfterAll
  static void stop() throws Exception {
    b.close();
    a.close();
  }

  @Test
  void fiftyConcurrentEnqueuesOverTwoGathersMakeOneJobAndAnswerItFortyNineTimes() throws Exception {
    String userId = UUID.randomUUID().toString();
    List<Future<HttpResponse<Buffer>>> calls = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      WebClient via = i % 2 == 0 ? a.client : b.client;
      // The token differs per call: only kind and input.userId make the key, so all 50 are the same job.
      calls.add(via.post("/jobs").sendJsonObject(later(uniqueJob(userId, "call-" + i))));
    }
    List<HttpResponse<Buffer>> created = new ArrayList<>();
    List<HttpResponse<Buffer>> existing = new ArrayList<>();
    for (Future<HttpResponse<Buffer>> call : calls) {
      HttpResponse<Buffer> response = call.await(30, TimeUnit.SECONDS);
      (response.statusCode() == 202 ? created : existing).add(response);
      assertTrue(response.statusCode() == 202 || response.statusCode() == 200, response.bodyAsString());
    }
    assertEquals(1, created.size(), "one job created");
    assertEquals(49, existing.size());
    String location = created.get(0).getHeader("Location");
    for (HttpResponse<Buffer> answer : existing) {
      assertEquals(location, answer.getHeader("Location"));
      assertEquals(location, "/jobs/" + answer.bodyAsJsonObject().getLong("id"), "the body is the existing job");
    }
    assertEquals(1, jobsOf(userId).size(), "one row in the table");
  }

  @Test
  void differentUserIdsMakeDifferentJobs() throws Exception {
    HttpResponse<Buffer> first = post(later(uniqueJob(UUID.randomUUID().toString(), "t")));
    HttpResponse<Buffer> second = post(later(uniqueJob(UUID.randomUUID().toString(), "t")));
    assertEquals(202, first.statusCode(), first.bodyAsString());
    assertEquals(202, second.statusCode(), second.bodyAsString());
    assertNotEquals(first.getHeader("Location"), second.getHeader("Location"));
  }

  @Test
  void afterTheJobSucceedsANewEnqueueMakesANewJob() throws Exception {
    String userId = UUID.randomUUID().toString();
    HttpResponse<Buffer> first = post(uniqueJob(userId, "first"));
    assertEquals(202, first.statusCode(), first.bodyAsString());
    awaitJob(a, first.getHeader("Location"), j -> j.getString("status").equals("succeeded"));
    HttpResponse<Buffer> second = post(uniqueJob(userId, "second"));
    assertEquals(202, second.statusCode(), "the first job left queued and running: " + second.bodyAsString());
    assertNotEquals(first.getHeader("Location"), second.getHeader("Location"));
  }

  @Test
  void aSucceededJobKeepsItsKeyWhenItsStatesSaySo() throws Exception {
    String userId = UUID.randomUUID().toString();
    JsonObject job = uniqueJob(userId, "t");
    job.getJsonObject("unique").put("states", new JsonArray().add("queued").add("running").add("succeeded"));
    HttpResponse<Buffer> first = post(job);
    awaitJob(a, first.getHeader("Location"), j -> j.getString("status").equals("succeeded"));
    HttpResponse<Buffer> second = post(job);
    assertEquals(200, second.statusCode(), second.bodyAsString());
    assertEquals(first.getHeader("Location"), second.getHeader("Location"));
  }

  @Test
  void insideItsPeriodTheSameJobIsAnswered() throws Exception {
    JsonObject job = later(uniqueJob(UUID.randomUUID().toString(), "t"));
    job.getJsonObject("unique").put("period", "1h");
    HttpResponse<Buffer> first = post(job);
    HttpResponse<Buffer> second = post(job);
    assertEquals(202, first.statusCode(), first.bodyAsString());
    assertEquals(200, second.statusCode(), second.bodyAsString());
    assertEquals(first.getHeader("Location"), second.getHeader("Location"));
  }

  /**
   * The period's buckets are counted on the database's clock (so replicas with skewed clocks agree), which a test
   * cannot drive: it enqueues until the clock has crossed into the next one-second bucket, and checks that every
   * answer until then was the first job and that the new job is the first of a later bucket.
   */
  @Test
  void theNextPeriodMakesANewJob() throws Exception {
    JsonObject job = later(uniqueJob(UUID.randomUUID().toString(), "t"));
    job.getJsonObject("unique").put("period", "1s");
    HttpResponse<Buffer> first = post(job);
    assertEquals(202, first.statusCode(), first.bodyAsString());
    List<String> answers = new ArrayList<>();
    HttpResponse<Buffer> fresh = Await.value("an enqueue in the next period", Duration.ofSeconds(10), () -> {
      HttpResponse<Buffer> again = post(job);
      answers.add(again.statusCode() + " " + again.getHeader("Location"));
      return again;
    }, again -> again.statusCode() == 202);
    answers.remove(answers.size() - 1);
    for (String answer : answers) {
      assertEquals("200 " + first.getHeader("Location"), answer);
    }
    assertNotEquals(first.getHeader("Location"), fresh.getHeader("Location"));
    assertTrue(second(fresh) > second(first), "created in a later second than the first job: "
        + fresh.bodyAsJsonObject().getString("createdAt") + " vs " + first.bodyAsJsonObject().getString("createdAt"));
  }

  @Test
  void aBatchWithTwoIdenticalUniqueItemsMakesOneJob() throws Exception {
    JsonObject job = later(uniqueJob(UUID.randomUUID().toString(), "t"));
    HttpResponse<Buffer> response = post("/jobs/batch", new JsonObject().put("jobs", new JsonArray().add(job).add(job)));
    assertEquals(202, response.statusCode(), response.bodyAsString());
    JsonArray items = response.bodyAsJsonObject().getJsonArray("items");
    assertEquals(items.getJsonObject(0).getLong("id"), items.getJsonObject(1).getLong("id"));
    assertFalse(items.getJsonObject(0).getBoolean("duplicate"));
    assertTrue(items.getJsonObject(1).getBoolean("duplicate"));
  }

  @Test
  void badUniqueIs400NamingTheFieldAndTheFix() throws Exception {
    assertBad(new JsonObject().put("states", new JsonArray().add("queued").add("running").add("done")),
        "unique.states[2]", "succeeded");
    assertBad(new JsonObject().put("states", new JsonArray().add("queued")), "unique.states", "running");
    assertBad(new JsonObject().put("by", new JsonArray().add("kind").add("userId")), "unique.by[1]", "input.<field>");
    assertBad(new JsonObject().put("by", new JsonArray().add("input.userId.x")), "unique.by[0]", "input.<field>");
    assertBad(new JsonObject().put("by", new JsonArray().add("input.tenant")), "unique.by[0]", "no field \"tenant\"");
    assertBad(new JsonObject().put("period", "1 hour"), "unique.period", "\"1h\"");
    assertBad(new JsonObject().put("period", 3600), "unique.period", "\"1h\"");
    assertBad(new JsonObject().put("window", "1h"), "unique.window", "by, period and states");
    HttpResponse<Buffer> batch = post("/jobs/batch", new JsonObject().put("jobs", new JsonArray()
        .add(uniqueJob("u", "t")).add(uniqueJob("u", "t").put("unique", new JsonObject().put("period", "soon")))));
    assertEquals(400, batch.statusCode(), batch.bodyAsString());
    assertTrue(batch.bodyAsJsonObject().getString("detail").startsWith("jobs[1]: unique.period"), batch.bodyAsString());
  }

  // ---- helpers ----

  private static void assertBad(JsonObject unique, String field, String fix) throws Exception {
    HttpResponse<Buffer> response = post(uniqueJob("u", "t").put("unique", unique));
    assertEquals(400, response.statusCode(), response.bodyAsString());
    assertEquals("application/problem+json", response.getHeader("Content-Type"));
    String detail = response.bodyAsJsonObject().getString("detail");
    assertTrue(detail.contains(field) && detail.contains(fix), detail);
  }

  /** test.count, unique by its kind and input.userId. */
  private static JsonObject uniqueJob(String userId, String token) {
    return job("test.count", new JsonObject().put("token", token).put("userId", userId))
        .put("unique", new JsonObject().put("by", new JsonArray().add("kind").add("input.userId")));
  }

  private static JsonObject later(JsonObject job) {
    return job.put("runAt", OffsetDateTime.now().plusHours(1).toString());
  }

  private static long second(HttpResponse<Buffer> response) {
    return OffsetDateTime.parse(response.bodyAsJsonObject().getString("createdAt")).toEpochSecond();
  }

  private static List<JsonObject> jobsOf(String userId) throws Exception {
    JsonArray items = a.client.get("/jobs?kind=test.count&limit=500").send().await(10, TimeUnit.SECONDS)
        .bodyAsJsonObject().getJsonArray("items");
    return items.stream().map(JsonObject.class::cast)
        .filter(j -> userId.equals(j.getJsonObject("input").getString("userId"))).toList();
  }

  private static HttpResponse<Buffer> post(JsonObject body) throws Exception {
    return post("/jobs", body);
  }

  private static HttpResponse<Buffer> post(String path, JsonObject body) throws Exception {
    return a.client.post(path).sendJsonObject(body).await(30, TimeUnit.SECONDS);
  }
}
