package dev.gather.jobs.api;

import dev.gather.http.ApiError;
import dev.gather.jobs.queue.JobRequests;
import dev.gather.jobs.queue.JobStatus;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a job's {@code unique} object: {@code by} (what the job is unique by: "kind", "input" or "input.<field>";
 * default kind and input), {@code period} (e.g. "1h": unique within each such window of the database's clock) and
 * {@code states} (in which the job holds its key; default queued and running). Every mistake is a 400 that names
 * the field and the fix.
 */
final class UniqueRequests {
  private static final Set<String> FIELDS = Set.of("by", "period", "states");
  private static final List<String> DEFAULT_BY = List.of("kind", "input");
  /** Always held: a job goes from queued to running and back on a retry, and must keep its key meanwhile. */
  private static final List<String> REQUIRED_STATES = List.of(JobStatus.QUEUED, JobStatus.RUNNING);
  private static final int MAX_BY = 16;
  private static final Pattern PERIOD = Pattern.compile("([1-9][0-9]{0,8})(s|m|h|d)");
  private static final long MAX_PERIOD_SECONDS = 366L * 24 * 3600;

  private UniqueRequests() {}

  /** Empty when the job has no {@code unique}; {@code input} is the job's (already checked) input. */
  static Optional<JobRequests.Unique> from(Object raw, String kind, JsonObject input) {
    if (raw == null) {
      return Optional.empty();
    }
    if (!(raw instanceof JsonObject unique)) {
      throw ApiError.badRequest("unique must be an object, e.g. {\"by\": [\"kind\", \"input.userId\"], \"period\": \"1h\"}");
    }
    for (String field : unique.fieldNames()) {
      if (!FIELDS.contains(field)) {
        throw ApiError.badRequest("unknown field \"unique." + field + "\"; unique has by, period and states");
      }
    }
    return Optional.of(new JobRequests.Unique(values(unique.getValue("by"), kind, input),
        period(unique.getValue("period")), states(unique.getValue("states"))));
  }

  /** Path → value of every {@code by} path; an object, so the order the paths were given in does not matter. */
  private static JsonObject values(Object raw, String kind, JsonObject input) {
    List<String> paths = raw == null ? DEFAULT_BY : strings(raw, "unique.by", MAX_BY,
        "the paths the job is unique by, e.g. [\"kind\", \"input.userId\"]");
    JsonObject values = new JsonObject();
    for (int i = 0; i < paths.size(); i++) {
      String path = paths.get(i);
      if (path.equals("kind")) {
        values.put(path, kind);
      } else if (path.equals("input")) {
        values.put(path, input);
      } else if (path.startsWith("input.") && path.length() > "input.".length() && path.indexOf('.', 6) < 0) {
        String field = path.substring("input.".length());
        if (!input.containsKey(field)) {
          throw ApiError.badRequest("unique.by[" + i + "] is \"" + path + "\" but the input has no field \"" + field
              + "\"; add it to the input or take it out of unique.by");
        }
        values.put(path, input.getValue(field));
      } else {
        throw ApiError.badRequest("unique.by[" + i + "] is \"" + path + "\"; a path is \"kind\", \"input\" or "
            + "\"input.<field>\" (a top-level field of the input, e.g. \"input.userId\")");
      }
    }
    return values;
  }

  private static Optional<Long> period(Object raw) {
    if (raw == null) {
      return Optional.empty();
    }
    Matcher m = raw instanceof String s ? PERIOD.matcher(s) : null;
    if (m == null || !m.matches()) {
      throw ApiError.badRequest("unique.period must be a duration such as \"30s\", \"15m\", \"1h\" or \"1d\" "
          + "(a whole number and s, m, h or d), got " + (raw instanceof String ? "\"" + raw + "\"" : raw));
    }
    long seconds = Long.parseLong(m.group(1)) * switch (m.group(2)) {
      case "s" -> 1L;
      case "m" -> 60L;
      case "h" -> 3600L;
      default -> 86_400L;
    };
    if (seconds > MAX_PERIOD_SECONDS) {
      throw ApiError.badRequest("unique.period is at most 366d, got \"" + raw + "\"; leave period out to be unique for as long as the job is in its states");
    }
    return Optional.of(seconds);
  }

  private static List<String> states(Object raw) {
    if (raw == null) {
      return REQUIRED_STATES;
    }
    List<String> states = strings(raw, "unique.states", JobStatus.ALL.size(),
        "the states in which the job holds its key, e.g. [\"queued\", \"running\", \"succeeded\"]");
    for (int i = 0; i < states.size(); i++) {
      if (!JobStatus.ALL.contains(states.get(i))) {
        throw ApiError.badRequest("unique.states[" + i + "] is \"" + states.get(i) + "\", not a job state; "
            + "use " + String.join(", ", JobStatus.ALL));
      }
    }
    if (!states.containsAll(REQUIRED_STATES)) {
      throw ApiError.badRequest("unique.states must include queued and running (a job goes back to queued for a "
          + "retry and must keep its key meanwhile); add succeeded, failed or cancelled to keep the key after it ends");
    }
    return states.stream().distinct().toList();
  }

  private static List<String> strings(Object raw, String field, int max, String what) {
    if (!(raw instanceof JsonArray array) || array.isEmpty() || array.size() > max) {
      throw ApiError.badRequest(field + " must be an array of 1 to " + max + " strings: " + what);
    }
    List<String> strings = new ArrayList<>(array.size());
    for (int i = 0; i < array.size(); i++) {
      if (!(array.getValue(i) instanceof String s)) {
        throw ApiError.badRequest(field + "[" + i + "] must be a string: " + what);
      }
      strings.add(s);
    }
    return strings;
  }
}
