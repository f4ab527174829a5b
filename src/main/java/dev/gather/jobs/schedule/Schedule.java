package dev.gather.jobs.schedule;

import dev.gather.config.ScheduleConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.Optional;

/** A schedule as the scheduler and the API use it: its definition, where it comes from, and its cadence. */
record Schedule(ScheduleConfig config, String source, Cadence cadence) {
  /** How many upcoming ticks {@code nextRuns} shows. */
  static final int NEXT_RUNS = 5;

  static Schedule of(ScheduleConfig config, String source) {
    return new Schedule(config, source, Cadence.of(config));
  }

  String name() {
    return config.name();
  }

  /** The API's view: name, source, the definition, the last tick taken care of (when known) and the next runs. */
  JsonObject toJson(Optional<StoredSchedule> state, Instant now) {
    JsonObject json = new JsonObject().put("name", name()).put("source", source).mergeIn(config.toJson());
    JsonArray next = new JsonArray();
    cadence.nextRuns(now, NEXT_RUNS).forEach(t -> next.add(t.toString()));
    json.put("nextRuns", next);
    json.put("lastTick", state.map(s -> s.lastTick().toString()).orElse(null));
    return json;
  }
}
