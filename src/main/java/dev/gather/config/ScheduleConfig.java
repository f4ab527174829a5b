package dev.gather.config;

import io.vertx.core.json.JsonObject;
import java.time.DateTimeException;
import java.time.ZoneId;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A periodic job: when ({@code cron} in a {@code zone}, or {@code everyMs}), whether missed ticks are made up
 * after downtime ({@code catchUp}, at most {@code catchUpMax} of them), and the job each tick enqueues. Read the
 * same way from {@code jobs.schedules.<name>} and from a {@code /jobs/schedules} request body, so both name the
 * same mistakes in the same words. Whether the job's kind exists is checked where the kinds are known.
 */
public record ScheduleConfig(String name, Optional<String> cron, OptionalLong everyMs, ZoneId zone, boolean catchUp,
    int catchUpMax, ScheduledJob job) {

  /** The job a tick enqueues; timeoutMs and maxAttempts fall back to jobs.timeoutMs and jobs.maxAttempts. */
  public record ScheduledJob(String kind, JsonObject input, int priority, OptionalLong timeoutMs,
      OptionalInt maxAttempts) {}

  public static final Set<String> KEYS = Set.of("cron", "everyMs", "zone", "catchUp", "catchUpMax", "job");
  public static final Set<String> JOB_KEYS = Set.of("kind", "input", "priority", "timeoutMs", "maxAttempts");
  public static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,100}");
  /** Ticks closer than a second would make a job per tick faster than the queue is meant to be fed by a clock. */
  public static final long MIN_EVERY_MS = 1000;
  public static final long MAX_EVERY_MS = 366L * 86_400_000;
  public static final int DEFAULT_CATCH_UP_MAX = 100;
  public static final int MAX_CATCH_UP = 1000;
  private static final int MAX_PRIORITY = 1000;
  /** ZoneId.of("UTC"), not ZoneOffset.UTC, whose id is "Z": the API shows the zone by its id. */
  private static final ZoneId UTC = ZoneId.of("UTC");

  /**
   * {@code prefix}: how problems name this schedule ({@code jobs.schedules.nightly}, or {@code schedule} for a
   * request body). Problems go to {@code problems}; the result is only meaningful when none were added.
   */
  public static ScheduleConfig parse(String prefix, String name, JsonObject json, List<String> problems) {
    Fields in = new Fields(prefix, json, problems);
    if (!NAME.matcher(name).matches()) {
      problems.add(prefix + ": the name \"" + name + "\" must be 1-100 letters, digits, '.', '-' or '_'");
    }
    in.rejectUnknown(KEYS);
    Optional<String> cron = in.text("cron");
    OptionalLong everyMs = in.has("everyMs")
        ? OptionalLong.of(in.number("everyMs", MIN_EVERY_MS, MIN_EVERY_MS, MAX_EVERY_MS))
        : OptionalLong.empty();
    if (in.has("cron") == in.has("everyMs")) {
      problems.add(prefix + ": give exactly one of cron (e.g. \"0 */5 * * * *\": every five minutes) and everyMs "
          + "(e.g. 60000: every minute)");
    }
    cron.ifPresent(text -> {
      try {
        CronExpressions.parse(text);
      } catch (IllegalArgumentException e) {
        problems.add(in.key("cron") + " = \"" + text + "\": " + e.getMessage());
      }
    });
    ZoneId zone = UTC;
    Optional<String> zoneName = in.text("zone");
    if (zoneName.isPresent() && everyMs.isPresent()) {
      problems.add(in.key("zone") + ": only a cron schedule has a zone; everyMs ticks are counted from the epoch, "
          + "the same in every zone; remove zone");
    } else if (zoneName.isPresent()) {
      try {
        zone = ZoneId.of(zoneName.get());
      } catch (DateTimeException e) {
        problems.add(in.key("zone") + " = \"" + zoneName.get() + "\": not a time zone; use an IANA name such as "
            + "\"Europe/Berlin\" or \"UTC\"");
      }
    }
    boolean catchUp = in.bool("catchUp", false);
    int catchUpMax = in.integer("catchUpMax", DEFAULT_CATCH_UP_MAX, 1, MAX_CATCH_UP);
    if (in.has("catchUpMax") && !catchUp) {
      problems.add(in.key("catchUpMax") + ": has no effect without \"catchUp\": true; add that or remove catchUpMax");
    }
    return new ScheduleConfig(name, cron, everyMs, zone, catchUp, catchUpMax, job(in, json, problems));
  }

  private static ScheduledJob job(Fields in, JsonObject json, List<String> problems) {
    Optional<JsonObject> raw = in.object("job");
    if (raw.isEmpty()) {
      if (!in.has("job")) {
        problems.add(in.key("job") + ": missing; add the job each tick enqueues, e.g. {\"kind\": \"users.export\", "
            + "\"input\": {}}");
      }
      return new ScheduledJob("", new JsonObject(), 0, OptionalLong.empty(), OptionalInt.empty());
    }
    Fields job = in.nested("job", raw.get());
    job.rejectUnknown(JOB_KEYS);
    String kind = job.requiredText("kind", "users.export");
    JsonObject input = job.has("input") ? job.object("input").orElse(new JsonObject()) : new JsonObject();
    int priority = job.integer("priority", 0, -MAX_PRIORITY, MAX_PRIORITY);
    OptionalLong timeoutMs = job.has("timeoutMs")
        ? OptionalLong.of(job.number("timeoutMs", 1, 1, Integer.MAX_VALUE)) : OptionalLong.empty();
    OptionalInt maxAttempts = job.has("maxAttempts")
        ? OptionalInt.of(job.integer("maxAttempts", 1, 1, 100)) : OptionalInt.empty();
    return new ScheduledJob(kind, input, priority, timeoutMs, maxAttempts);
  }

  /** The definition as written back (API answers, the stored form of API schedules): only what was given. */
  public JsonObject toJson() {
    Map<String, Object> out = new LinkedHashMap<>();
    cron.ifPresent(c -> out.put("cron", c));
    everyMs.ifPresent(ms -> out.put("everyMs", ms));
    if (cron.isPresent()) {
      out.put("zone", zone.getId());
    }
    out.put("catchUp", catchUp);
    if (catchUp) {
      out.put("catchUpMax", catchUpMax);
    }
    JsonObject jobJson = new JsonObject().put("kind", job.kind()).put("input", job.input().copy())
        .put("priority", job.priority());
    job.timeoutMs().ifPresent(ms -> jobJson.put("timeoutMs", ms));
    job.maxAttempts().ifPresent(n -> jobJson.put("maxAttempts", n));
    out.put("job", jobJson);
    return new JsonObject(out);
  }
}
