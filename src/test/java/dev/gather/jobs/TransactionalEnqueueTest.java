package dev.gather.jobs;

import static dev.gather.jobs.JobsTest.awaitJob;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gather.RunningGather;
import dev.gather.TestDatabase;
import dev.gather.config.ConfigKey;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * gather_enqueue(...) called over JDBC in transactions of the test's own, as an application sharing gather's
 * database would. The workers poll only once an hour here, so a job that runs at all was woken by the NOTIFY the
 * function sends at commit.
 */
class TransactionalEnqueueTest {
  private static RunningGather app;

  @BeforeAll
  static void start() {
    app = RunningGather.start(new JsonObject().put("jobs", new JsonObject().put("pollMs", 3_600_000)));
  }

  @AfterAll
  static void stop() throws Exception {
    app.close();
  }

  @Test
  void aJobEnqueuedInARolledBackTransactionNeverExistsNorRuns() throws Exception {
    String token = "rolled-back-" + UUID.randomUUID();
    long id;
    try (Connection db = TestDatabase.connect(app.databaseUrl)) {
      db.setAutoCommit(false);
      id = enqueue(db, "test.count", new JsonObject().put("token", token));
      assertEquals(1, count(db, id), "inside its transaction the job is there");
      db.rollback();
      assertEquals(0, count(db, id), "after the rollback it is not");
    }
    // A committed job after it wakes the workers and runs: had the rolled-back one been queued, it would have too.
    long later = committed("test.count", new JsonObject().put("token", "after-" + token));
    awaitJob(app, "/jobs/" + later, j -> j.getString("status").equals("succeeded"));
    assertEquals(404, app.client.get("/jobs/" + id).send().await(10, TimeUnit.SECONDS).statusCode());
    assertFalse(TestHandlers.RUNS.containsKey(token), "the rolled-back job never ran");
  }

  @Test
  void aJobEnqueuedInACommittedTransactionIsInvisibleUntilCommitThenRunsPromptly() throws Exception {
    String token = UUID.randomUUID().toString();
    try (Connection db = TestDatabase.connect(app.databaseUrl)) {
      db.setAutoCommit(false);
      long id = enqueue(db, "test.count", new JsonObject().put("token", token));
      assertEquals(404, app.client.get("/jobs/" + id).send().await(10, TimeUnit.SECONDS).statusCode(),
          "gather does not see the job before the transaction commits");
      db.commit();
      // Within awaitJob's 20 s, far inside the hour between polls: the commit's NOTIFY woke the workers.
      JsonObject done = awaitJob(app, "/jobs/" + id, j -> j.getString("status").equals("succeeded"));
      assertEquals(1, done.getJsonObject("result").getInteger("runs"));
    }
  }

  @Test
  void itsDefaultsAreThoseOfJobsMaxAttemptsAndJobsTimeoutMs() throws Exception {
    long id = committed("test.where", new JsonObject(), "run_at => now() + interval '1 hour'");
    JsonObject job = app.client.get("/jobs/" + id).send().await(10, TimeUnit.SECONDS).bodyAsJsonObject();
    assertEquals(Integer.parseInt(ConfigKey.JOBS_MAX_ATTEMPTS.defaultValue()), job.getInteger("maxAttempts"));
    assertEquals(Long.parseLong(ConfigKey.JOBS_TIMEOUT_MS.defaultValue()), job.getLong("timeoutMs"));
    assertEquals("queued", job.getString("status"), "run_at in an hour");
    assertEquals(0, job.getInteger("priority"));
  }

  @Test
  void theSameIdempotencyKeyReturnsTheSameJobAndADifferentInputIsRefused() throws Exception {
    String key = "order-" + UUID.randomUUID();
    JsonObject input = new JsonObject().put("token", key);
    String args = "idempotency_key => '" + key + "', run_at => now() + interval '1 hour'";
    long first = committed("test.count", input, args);
    assertEquals(first, committed("test.count", input, args));
    SQLException refused = assertThrows(SQLException.class,
        () -> committed("test.count", new JsonObject().put("token", "other"), args));
    assertEquals("23505", refused.getSQLState());
    assertTrue(refused.getMessage().contains("was already used for job " + first), refused.getMessage());
  }

  @Test
  void aUniqueJobQueuedInSqlIsTheOnePostJobsAnswersWith() throws Exception {
    String userId = UUID.randomUUID().toString();
    JsonObject input = new JsonObject().put("token", "sql").put("userId", userId);
    long id = committed("test.count", input,
        "run_at => now() + interval '1 hour', unique_by => ARRAY['kind', 'input.userId']");
    JsonObject posted = new JsonObject().put("kind", "test.count")
        .put("input", new JsonObject().put("token", "api").put("userId", userId))
        .put("runAt", OffsetDateTime.now().plusHours(1).toString())
        .put("unique", new JsonObject().put("by", new JsonArray().add("kind").add("input.userId")));
    HttpResponse<Buffer> answer = app.client.post("/jobs").sendJsonObject(posted).await(10, TimeUnit.SECONDS);
    assertEquals(200, answer.statusCode(), answer.bodyAsString());
    assertEquals("/jobs/" + id, answer.getHeader("Location"));
  }

  @Test
  void badArgumentsAreRefusedNamingTheArgumentAndTheRollbackKeepsNothing() throws Exception {
    assertRefused("'test.count', '[1, 2]'", "input must be a JSON object");
    assertRefused("'', '{}'", "kind must be the name of a job kind");
    assertRefused("'no kind has spaces', '{}'", "kind must be the name of a job kind");
    assertRefused("'test.count', '{}', max_attempts => 0", "max_attempts must be from 1 to 100");
    assertRefused("'test.count', '{}', priority => 5000", "priority must be from -1000 to 1000");
    assertRefused("'test.count', '{}', unique_by => ARRAY['input.tenant']", "unique_by 'input.tenant'");
    assertRefused("'test.count', '{}', unique_states => ARRAY['queued']", "unique_states must hold queued and running");
  }

  // ---- helpers ----

  private static void assertRefused(String args, String message) throws Exception {
    try (Connection db = TestDatabase.connect(app.databaseUrl);
        PreparedStatement call = db.prepareStatement("SELECT gather_enqueue(" + args + ")")) {
      SQLException e = assertThrows(SQLException.class, call::executeQuery, args);
      assertEquals("22023", e.getSQLState(), e.getMessage());
      assertTrue(e.getMessage().contains(message), e.getMessage());
    }
  }

  private static long enqueue(Connection db, String kind, JsonObject input) throws SQLException {
    return enqueue(db, kind, input, null);
  }

  private static long enqueue(Connection db, String kind, JsonObject input, String moreArgs) throws SQLException {
    String sql = "SELECT gather_enqueue(?, ?::jsonb" + (moreArgs == null ? "" : ", " + moreArgs) + ")";
    try (PreparedStatement call = db.prepareStatement(sql)) {
      call.setString(1, kind);
      call.setString(2, input.encode());
      try (ResultSet rows = call.executeQuery()) {
        rows.next();
        return rows.getLong(1);
      }
    }
  }

  /** In a transaction of its own (JDBC's autocommit). */
  private static long committed(String kind, JsonObject input) throws SQLException {
    return committed(kind, input, null);
  }

  private static long committed(String kind, JsonObject input, String moreArgs) throws SQLException {
    try (Connection db = TestDatabase.connect(app.databaseUrl)) {
      return enqueue(db, kind, input, moreArgs);
    }
  }

  private static long count(Connection db, long id) throws SQLException {
    try (PreparedStatement query = db.prepareStatement("SELECT count(*) FROM jobs WHERE id = ?")) {
      query.setLong(1, id);
      try (ResultSet rows = query.executeQuery()) {
        rows.next();
        return rows.getLong(1);
      }
    }
  }
}
