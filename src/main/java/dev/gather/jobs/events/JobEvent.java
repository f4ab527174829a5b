package dev.gather.jobs.events;

import io.vertx.core.json.JsonObject;

/**
 * One thing a watcher of a job is told: {@code state} (status, attempts, who runs it, ...), {@code progress} (what the
 * handler last reported) or {@code result} (the finished job, the last event).
 */
public record JobEvent(String name, JsonObject data) {
  public static final String STATE = "state";
  public static final String PROGRESS = "progress";
  public static final String RESULT = "result";
}
