package dev.gather.jobs;

import dev.gather.jobs.handler.JobContext;
import dev.gather.jobs.handler.JobHandler;
import dev.gather.jobs.handler.JobPool;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;

/**
 * {@code test.result}: returns {@code input.result} as its result, after writing {@code input.content} to the file
 * {@code input.write} in jobs.filesDir when asked, so a test chooses both what is on disk and what the result
 * claims (a file outside the directory, a result of a given size).
 */
public final class TestResultHandler implements JobHandler {
  @Override
  public String name() {
    return "test.result";
  }

  @Override
  public JobPool pool() {
    return JobPool.BLOCKING;
  }

  @Override
  public JsonObject run(JobContext context) throws Exception {
    JsonObject input = context.input();
    if (input.getString("write") != null) {
      Files.writeString(context.filesDir().resolve(input.getString("write")), input.getString("content", ""),
          StandardCharsets.UTF_8);
    }
    return input.getJsonObject("result", new JsonObject());
  }
}
