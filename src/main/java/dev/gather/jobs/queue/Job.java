package dev.gather.jobs.queue;

import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.OffsetDateTime;

/** A durable job as stored and as {@code GET /jobs/{id}} shows it. */
public record Job(
    long id,
    String kind,
    JsonObject input,
    String status,
    int priority,
    OffsetDateTime runAt,
    int attempts,
    int maxAttempts,
    long timeoutMs,
    String idempotencyKey,
    String worker,
    boolean cancelRequested,
    int rescues,
    JsonObject result,
    String lastError,
    OffsetDateTime createdAt,
    OffsetDateTime startedAt,
    OffsetDateTime finishedAt,
    Progress progress,
    int snoozes) {

  /** What the handler last reported through {@code JobContext.progress}; null when it never did. */
  public record Progress(int percent, String message) {
    public JsonObject toJson() {
      return new JsonObject().put("percent", percent).put("message", message);
    }
  }

  /** What {@link #from} reads; the .sql files that return jobs list these columns (JobSqlTest checks). */
  static final String COLUMNS = "id, kind, input, status, priority, run_at, attempts, max_attempts, timeout_ms, "
      + "idempotency_key, lease_owner, cancel_requested, rescues, result, last_error, created_at, started_at, finished_at, "
      + "progress, progress_message, snoozes";

  static Job from(Row row) {
    return new Job(
        row.getLong("id"),
        row.getString("kind"),
        (JsonObject) row.getJson("input"),
        row.getString("status"),
        row.getInteger("priority"),
        row.getOffsetDateTime("run_at"),
        row.getInteger("attempts"),
        row.getInteger("max_attempts"),
        row.getInteger("timeout_ms"),
        row.getString("idempotency_key"),
        row.getString("lease_owner"),
        row.getBoolean("cancel_requested"),
        row.getInteger("rescues"),
        (JsonObject) row.getJson("result"),
        row.getString("last_error"),
        row.getOffsetDateTime("created_at"),
        row.getOffsetDateTime("started_at"),
        row.getOffsetDateTime("finished_at"),
        row.getValue("progress") == null ? null
            : new Progress(row.getInteger("progress"), row.getString("progress_message")),
        row.getInteger("snoozes"));
  }

  public boolean finished() {
    return status.equals(JobStatus.SUCCEEDED) || status.equals(JobStatus.FAILED) || status.equals(JobStatus.CANCELLED);
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("id", id)
        .put("kind", kind)
        .put("status", status)
        .put("input", input)
        .put("priority", priority)
        .put("runAt", runAt.toString())
        .put("attempts", attempts)
        .put("maxAttempts", maxAttempts)
        .put("timeoutMs", timeoutMs)
        .put("idempotencyKey", idempotencyKey)
        .put("worker", worker)
        .put("cancelRequested", cancelRequested)
        .put("rescues", rescues)
        .put("result", result)
        .put("lastError", lastError)
        .put("createdAt", createdAt.toString())
        .put("startedAt", startedAt == null ? null : startedAt.toString())
        .put("finishedAt", finishedAt == null ? null : finishedAt.toString())
        .put("progress", progress == null ? null : progress.toJson())
        .put("snoozes", snoozes);
  }
}
