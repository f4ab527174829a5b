package dev.gather.config;

import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What {@code jobs.kinds.<kind>} says about one job kind: at most {@code concurrency.limit} of its jobs running
 * across every gather on the database, at most {@code rate.limit} starts in any {@code rate.periodMs}, each
 * optionally per partition (the value of one top-level input field), and whether a gather starting with this
 * config pauses it. Jobs over a limit stay queued; they never fail for it.
 */
public record JobKindConfig(String kind, Optional<Concurrency> concurrency, Optional<Rate> rate, boolean paused) {
  public static final Set<String> KEYS = Set.of("concurrency", "rate", "paused");
  public static final Set<String> CONCURRENCY_KEYS = Set.of("limit", "by");
  public static final Set<String> RATE_KEYS = Set.of("limit", "periodMs", "by");
  private static final int MAX_LIMIT = 1_000_000;
  private static final long MIN_PERIOD_MS = 10;
  private static final long MAX_PERIOD_MS = 86_400_000;
  /** "input.tenant": a top-level field, as unique.by takes it; nested paths would need a planner-proof index. */
  private static final Pattern BY = Pattern.compile("input\\.([A-Za-z0-9_-]{1,100})");

  /** At most {@code limit} jobs running at once; {@code byField}: per value of this input field. */
  public record Concurrency(int limit, Optional<String> byField) {}

  /** At most {@code limit} starts (attempts) in any {@code periodMs}; {@code byField}: per value of this input field. */
  public record Rate(int limit, long periodMs, Optional<String> byField) {}

  /** Whether claims of this kind must go through the limited claim (claim_limited.sql). */
  public boolean limited() {
    return concurrency.isPresent() || rate.isPresent();
  }

  static JobKindConfig parse(String kind, JsonObject json, List<String> problems) {
    Fields in = new Fields("jobs.kinds." + kind, json, problems);
    in.rejectUnknown(KEYS);
    Optional<Concurrency> concurrency = in.object("concurrency").flatMap(c -> {
      Fields fields = in.nested("concurrency", c);
      fields.rejectUnknown(CONCURRENCY_KEYS);
      int before = problems.size();
      int limit = requiredLimit(fields, "{\"limit\": 2, \"by\": \"input.tenant\"}");
      Optional<String> by = by(fields);
      return problems.size() == before ? Optional.of(new Concurrency(limit, by)) : Optional.empty();
    });
    Optional<Rate> rate = in.object("rate").flatMap(r -> {
      Fields fields = in.nested("rate", r);
      fields.rejectUnknown(RATE_KEYS);
      int before = problems.size();
      int limit = requiredLimit(fields, "{\"limit\": 10, \"periodMs\": 1000}");
      if (!fields.has("periodMs")) {
        problems.add(fields.key("periodMs") + ": missing; say how long the window of " + limit
            + " starts is, e.g. \"periodMs\": 1000");
      }
      long periodMs = fields.number("periodMs", 1000, MIN_PERIOD_MS, MAX_PERIOD_MS);
      Optional<String> by = by(fields);
      return problems.size() == before ? Optional.of(new Rate(limit, periodMs, by)) : Optional.empty();
    });
    return new JobKindConfig(kind, concurrency, rate, in.bool("paused", false));
  }

  private static int requiredLimit(Fields fields, String example) {
    if (!fields.has("limit")) {
      fields.problem("limit", ": missing; add it, e.g. " + example);
      return 1;
    }
    return fields.integer("limit", 1, 1, MAX_LIMIT);
  }

  private static Optional<String> by(Fields fields) {
    Optional<String> by = fields.text("by");
    if (by.isEmpty()) {
      return Optional.empty();
    }
    var matcher = BY.matcher(by.get());
    if (!matcher.matches()) {
      fields.problem("by", " = \"" + by.get() + "\": name a top-level input field as \"input.<field>\", e.g. "
          + "\"input.tenant\" (letters, digits, - and _), or leave it out for one limit over all jobs of the kind");
      return Optional.empty();
    }
    return Optional.of(matcher.group(1));
  }
}
