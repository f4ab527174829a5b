package dev.gather.fanout;

import dev.gather.config.Batch;
import dev.gather.failure.Failure;
import dev.gather.failure.FailureKind;
import dev.gather.upstream.Answer;
import dev.gather.upstream.CallStats;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A batched forEach: its items' values, each sent once (a value listed twice is asked for once and given to
 * both), cut into chunks of at most {@code max} for one call each; then each call's answer scattered back to
 * its items by the {@code key} field. A batch answer is a JSON array of objects (matched by their {@code key}
 * field) or an object whose property names are the values asked for. Values are compared as text, so the id
 * {@code 7} matches the item {@code "7"} from {@code ?ids=7}.
 */
final class Scatter {
  private final Batch batch;
  private final List<Object> items;
  /** Each item's value as sent, or null when the item cannot be sent (its failure is in {@link #rejected}). */
  private final String[] values;
  private final SortedMap<Integer, Failure> rejected = new TreeMap<>();
  /** The distinct values, in the order of their first item, cut into calls. */
  private final List<List<String>> chunks = new ArrayList<>();

  Scatter(Batch batch, List<Object> items) {
    this.batch = batch;
    this.items = items;
    this.values = new String[items.size()];
    Map<String, Boolean> distinct = new LinkedHashMap<>();
    for (int i = 0; i < items.size(); i++) {
      String value = text(items.get(i));
      if (value == null || value.isEmpty()) {
        rejected.put(i, new Failure(FailureKind.BAD_PARAMETER, "the item " + items.get(i)
            + " is not a number or a string, so it cannot be sent in ?" + batch.param() + "="));
      } else if (value.indexOf(',') >= 0) {
        rejected.put(i, new Failure(FailureKind.BAD_PARAMETER, "the item \"" + value + "\" contains a comma, which "
            + "separates the items of ?" + batch.param() + "="));
      } else {
        values[i] = value;
        distinct.put(value, Boolean.TRUE);
      }
    }
    List<String> chunk = new ArrayList<>(batch.max());
    for (String value : distinct.keySet()) {
      if (chunk.size() == batch.max()) {
        chunks.add(chunk);
        chunk = new ArrayList<>(batch.max());
      }
      chunk.add(value);
    }
    if (!chunk.isEmpty()) {
      chunks.add(chunk);
    }
  }

  /** The values of each call, at most {@code max} each. */
  List<List<String>> chunks() {
    return chunks;
  }

  /**
   * The forEach's answer from each call's outcome (in {@link #chunks} order): the list of the items' data in
   * item order. Items without data (missing from their call's answer, their call failed, or not sendable) make it
   * an {@link ItemFailures} holding that list; when no call succeeded, it fails as the first call did.
   */
  Future<Answer> gather(List<AsyncResult<Answer>> outcomes) {
    Map<String, Object> found = new HashMap<>();
    Map<String, Failure> failed = new HashMap<>();
    CallStats stats = null;
    Integer status = null;
    Throwable firstFailure = null;
    for (int c = 0; c < outcomes.size(); c++) {
      AsyncResult<Answer> outcome = outcomes.get(c);
      if (outcome.failed()) {
        firstFailure = firstFailure == null ? outcome.cause() : firstFailure;
        Failure failure = outcome.cause() instanceof Failure f ? f
            : new Failure(FailureKind.IO, String.valueOf(outcome.cause().getMessage()));
        stats = plus(stats, failure instanceof dev.gather.upstream.CallFailure call ? call.stats() : CallStats.ONE_TRY);
        chunks.get(c).forEach(value -> failed.put(value, failure));
        continue;
      }
      Answer answer = outcome.result();
      stats = plus(stats, answer.stats());
      status = status == null ? answer.status() : status;
      Failure shape = index(answer.data(), found);
      if (shape != null) {
        chunks.get(c).forEach(value -> failed.put(value, shape));
      }
    }
    if (!outcomes.isEmpty() && status == null) {
      return Future.failedFuture(firstFailure);
    }
    JsonArray data = new JsonArray(new ArrayList<>(items.size()));
    SortedMap<Integer, Failure> itemFailures = new TreeMap<>(rejected);
    for (int i = 0; i < items.size(); i++) {
      String value = values[i];
      if (value != null && found.containsKey(value)) {
        data.add(found.get(value));
        continue;
      }
      data.addNull();
      if (value != null) {
        Failure failure = failed.get(value);
        itemFailures.put(i, failure != null ? failure : new Failure(FailureKind.NOT_FOUND, batch.key() + " " + value
            + " is not in the batch answer"));
      }
    }
    Answer answer = new Answer(data, status == null ? 200 : status,
        stats == null ? new CallStats(0, false, false, false) : stats);
    return itemFailures.isEmpty() ? Future.succeededFuture(answer)
        : Future.failedFuture(new ItemFailures(answer, itemFailures, items.size()));
  }

  /** Puts the answer's entries into {@code found} by key; a failure when the answer has neither accepted shape. */
  private Failure index(Object data, Map<String, Object> found) {
    if (data instanceof JsonArray list) {
      for (Object entry : list) {
        if (entry instanceof JsonObject object) {
          String value = text(object.getValue(batch.key()));
          if (value != null) {
            found.putIfAbsent(value, object);
          }
        }
      }
      return null;
    }
    if (data instanceof JsonObject byKey) {
      byKey.forEach(entry -> found.putIfAbsent(entry.getKey(), entry.getValue()));
      return null;
    }
    return new Failure(FailureKind.BAD_JSON, "the batch answer is " + (data == null ? "empty" : "not a list")
        + "; a batch endpoint answers a JSON array of objects with a " + batch.key() + " field, or an object keyed by "
        + batch.key());
  }

  private static CallStats plus(CallStats sum, CallStats more) {
    return sum == null ? more : sum.plus(more);
  }

  /** A value as it is sent and matched: a string as it is, a number without trailing zeros; null for anything else. */
  static String text(Object value) {
    if (value instanceof String text) {
      return text;
    }
    if (value instanceof Integer || value instanceof Long || value instanceof Short || value instanceof Byte) {
      return value.toString();
    }
    if (value instanceof Number number) {
      try {
        return new BigDecimal(number.toString()).stripTrailingZeros().toPlainString();
      } catch (NumberFormatException e) {
        return null; // NaN, infinity
      }
    }
    return null;
  }
}
