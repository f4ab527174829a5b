package dev.gather.jobs;

import static dev.gather.jobs.JobsTest.awaitJob;
import static dev.gather.jobs.JobsTest.job;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gather.Await;
import dev.gather.RunningGather;
import dev.gather.TestDatabase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Files that jobs write (GET /jobs/{id}/file, their deletion by the retention cleaner) and the bound on stored
 * results (jobs.maxResultBytes). Two gathers on two databases: one keeps jobs a day, the other a moment, so the
 * cleaner of the second never takes the jobs the first one's tests read.
 */
class JobFilesTest {
  private static final int MAX_RESULT_BYTES = 2000;
  private static RunningGather app;
  private static Path files;
  private static RunningGather shortLived;
  private static Path shortLivedFiles;

  @BeforeAll
  static void start() throws Exception {
    files = Files.createTempDirectory("gather-job-files");
    app = RunningGather.start(new JsonObject().put("jobs", new JsonObject()
        .put("pollMs", 200).put("filesDir", files.toString()).put("maxResultBytes", MAX_RESULT_BYTES)));
    shortLivedFiles = Files.createTempDirectory("gather-job-files-retention");
    shortLived = RunningGather.start(new JsonObject().put("jobs", new JsonObject()
        .put("pollMs", 200).put("filesDir", shortLivedFiles.toString()).put("retentionMs", 2000)));
  }

  @AfterAll
  static void stop() throws Exception {
    shortLived.close();
    app.close();
  }

  @Test
  void aUsersExportIsStreamedWithItsContentTypeAndLength() throws Exception {
    for (int i = 0; i < 3; i++) {
      app.client.post("/users").sendJsonObject(new JsonObject().put("email", "file" + i + "@example.com")
          .put("name", "User " + i)).await(5, TimeUnit.SECONDS);
    }
    JsonObject done = run(app, job("users.export", new JsonObject().put("file", "served.csv")));
    HttpResponse<Buffer> file = get(app, done.getLong("id"));
    assertEquals(200, file.statusCode(), file.bodyAsString());
    assertEquals("text/csv; charset=utf-8; header=present", file.getHeader("Content-Type"));
    assertEquals(String.valueOf(done.getJsonObject("result").getLong("bytes")), file.getHeader("Content-Length"));
    assertEquals("attachment; filename=\"served.csv\"", file.getHeader("Content-Disposition"));
    assertEquals(Files.readString(files.resolve("served.csv")), file.bodyAsString());
    assertTrue(file.bodyAsString().startsWith("id,email,name,created_at,updated_at\r\n"));
  }

  @Test
  void aFileNamedRelativeToFilesDirIsServedWithTheTypeItsNameImplies() throws Exception {
    JsonObject done = run(app, job("test.result", new JsonObject().put("write", "notes.json").put("content", "{\"a\":1}")
        .put("result", new JsonObject().put("file", "notes.json"))));
    HttpResponse<Buffer> file = get(app, done.getLong("id"));
    assertEquals(200, file.statusCode(), file.bodyAsString());
    assertEquals("application/json", file.getHeader("Content-Type"));
    assertEquals("7", file.getHeader("Content-Length"));
    assertEquals("{\"a\":1}", file.bodyAsString());
  }

  @Test
  void aJobThatWroteNoFileIs404WithAProblemSayingSo() throws Exception {
    JsonObject done = run(app, job("test.result", new JsonObject().put("result", new JsonObject().put("n", 1))));
    assertNotFound(get(app, done.getLong("id")), "wrote no file");
  }

  @Test
  void aJobThatHasNotSucceededIs404() throws Exception {
    String location = app.client.post("/jobs").sendJsonObject(job("test.result", new JsonObject())
        .put("runAt", Instant.now().plusSeconds(3600).toString())).await(10, TimeUnit.SECONDS).getHeader("Location");
    assertNotFound(app.client.get(location + "/file").send().await(10, TimeUnit.SECONDS), "is queued");
    app.client.delete(location).send().await(10, TimeUnit.SECONDS);
  }

  @Test
  void anUnknownJobIs404() throws Exception {
    assertNotFound(get(app, 999_999_999L), "no job with id 999999999");
  }

  @Test
  void noPathOutsideFilesDirIsEverServed() throws Exception {
    Path outside = Files.createTempFile("gather-secret", ".txt");
    Files.writeString(outside, "secret");
    Files.createSymbolicLink(files.resolve("link.txt"), outside);
    for (String named : new String[] {outside.toString(), "../" + outside.getFileName(), "link.txt", "."}) {
      JsonObject done = run(app, job("test.result", new JsonObject().put("result", new JsonObject().put("file", named))));
      HttpResponse<Buffer> answer = get(app, done.getLong("id"));
      assertEquals(404, answer.statusCode(), named + ": " + answer.bodyAsString());
      assertFalse(answer.bodyAsString().contains("secret"), named);
    }
  }

  @Test
  void aResultLargerThanMaxResultBytesFailsTheJobAtOnceWithAClearError() throws Exception {
    JsonObject result = new JsonObject().put("data", "x".repeat(MAX_RESULT_BYTES));
    String location = app.client.post("/jobs").sendJsonObject(job("test.result", new JsonObject().put("result", result)))
        .await(10, TimeUnit.SECONDS).getHeader("Location");
    JsonObject failed = awaitJob(app, location, j -> j.getString("status").equals("failed"));
    assertEquals(1, failed.getInteger("attempts"), "not retried: the same run would return as much again");
    assertEquals(null, failed.getValue("result"));
    String error = failed.getString("lastError");
    assertTrue(error.startsWith("result too large: " + (MAX_RESULT_BYTES + 11) + " bytes of JSON, more than"
        + " jobs.maxResultBytes (" + MAX_RESULT_BYTES + ")"), error);
    assertTrue(error.contains("jobs.filesDir"), error);
  }

  @Test
  void aResultOfExactlyMaxResultBytesIsStored() throws Exception {
    // {"data":"..."} is 11 bytes around the string; multi-byte characters count as their UTF-8 bytes (é is 2).
    String data = "é".repeat((MAX_RESULT_BYTES - 11) / 2) + "x".repeat((MAX_RESULT_BYTES - 11) % 2);
    JsonObject done = run(app, job("test.result", new JsonObject().put("result", new JsonObject().put("data", data))));
    assertEquals(MAX_RESULT_BYTES, done.getJsonObject("result").encode().getBytes(StandardCharsets.UTF_8).length);
  }

  @Test
  void theRetentionCleanerDeletesTheFilesOfTheJobsItDeletes() throws Exception {
    JsonObject done = run(shortLived, job("test.result", new JsonObject().put("write", "old.txt").put("content", "x")
        .put("result", new JsonObject().put("file", "old.txt"))));
    Await.until("job " + done.getLong("id") + " deleted by retention", Duration.ofSeconds(20),
        () -> get(shortLived, done.getLong("id")).statusCode() == 404
            && shortLived.client.get("/jobs/" + done.getLong("id")).send().await(5, TimeUnit.SECONDS).statusCode() == 404);
    assertFalse(Files.exists(shortLivedFiles.resolve("old.txt")), "its file is gone with it");
  }

  @Test
  void aFileThatAKeptJobAlsoNamesIsKept() throws Exception {
    // A job finished "tomorrow" is not old enough for retention; it names the same file as the job that is.
    try (Connection db = TestDatabase.connect(shortLived.databaseUrl);
        PreparedStatement insert = db.prepareStatement("INSERT INTO jobs (kind, input, status, max_attempts,"
            + " timeout_ms, result, finished_at) VALUES ('test.result', '{}', 'succeeded', 1, 1000,"
            + " '{\"file\": \"shared.txt\"}', now() + interval '1 day')")) {
      insert.executeUpdate();
    }
    JsonObject done = run(shortLived, job("test.result", new JsonObject().put("write", "shared.txt").put("content", "x")
        .put("result", new JsonObject().put("file", "shared.txt"))));
    Await.until("job " + done.getLong("id") + " deleted by retention", Duration.ofSeconds(20),
        () -> shortLived.client.get("/jobs/" + done.getLong("id")).send().await(5, TimeUnit.SECONDS).statusCode() == 404);
    assertTrue(Files.exists(shortLivedFiles.resolve("shared.txt")), "the kept job still names it");
  }

  @Test
  void aFileWrittenAgainAfterTheDeletedJobFinishedIsKept() throws Exception {
    // An old job named rewritten.txt; a job still running (whose result names nothing yet) has written it since.
    long id;
    try (Connection db = TestDatabase.connect(shortLived.databaseUrl);
        PreparedStatement insert = db.prepareStatement("INSERT INTO jobs (kind, input, status, max_attempts,"
            + " timeout_ms, result, finished_at) VALUES ('test.result', '{}', 'succeeded', 1, 1000,"
            + " '{\"file\": \"rewritten.txt\"}', now() - interval '1 hour') RETURNING id")) {
      var rows = insert.executeQuery();
      rows.next();
      id = rows.getLong(1);
    }
    Files.writeString(shortLivedFiles.resolve("rewritten.txt"), "the newer job's");
    Await.until("job " + id + " deleted by retention", Duration.ofSeconds(20),
        () -> shortLived.client.get("/jobs/" + id).send().await(5, TimeUnit.SECONDS).statusCode() == 404);
    assertEquals("the newer job's", Files.readString(shortLivedFiles.resolve("rewritten.txt")),
        "modified after the deleted job finished: another job's file");
  }

  // ---- helpers ----

  /** Posts the job and waits until it has succeeded. */
  private static JsonObject run(RunningGather on, JsonObject job) throws Exception {
    HttpResponse<Buffer> posted = on.client.post("/jobs").sendJsonObject(job).await(10, TimeUnit.SECONDS);
    assertEquals(202, posted.statusCode(), posted.bodyAsString());
    return awaitJob(on, posted.getHeader("Location"), j -> j.getString("status").equals("succeeded"));
  }

  private static HttpResponse<Buffer> get(RunningGather on, long id) throws Exception {
    return on.client.get("/jobs/" + id + "/file").send().await(10, TimeUnit.SECONDS);
  }

  private static void assertNotFound(HttpResponse<Buffer> answer, String detail) {
    assertEquals(404, answer.statusCode(), answer.bodyAsString());
    assertEquals("application/problem+json", answer.getHeader("Content-Type"));
    assertTrue(answer.bodyAsJsonObject().getString("detail").contains(detail), answer.bodyAsString());
  }
}
