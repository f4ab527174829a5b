package dev.gather.jobs.schedule;

import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.Instant;
import java.util.Optional;

/**
 * A row of {@code job_schedules}: the definition (API schedules only; a config schedule's is in the config file)
 * and the newest tick taken care of.
 */
record StoredSchedule(String name, String source, Optional<JsonObject> definition, Instant lastTick,
    Instant createdAt, Instant updatedAt) {
  static final String CONFIG = "config";
  static final String API = "api";

  static StoredSchedule from(Row row) {
    return new StoredSchedule(row.getString("name"), row.getString("source"),
        Optional.ofNullable((JsonObject) row.getJson("definition")),
        row.getOffsetDateTime("last_tick").toInstant(),
        row.getOffsetDateTime("created_at").toInstant(),
        row.getOffsetDateTime("updated_at").toInstant());
  }
}
