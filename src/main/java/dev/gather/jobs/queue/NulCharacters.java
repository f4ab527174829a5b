package dev.gather.jobs.queue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * PostgreSQL's jsonb and text cannot hold the NUL character. Job inputs that carry one are refused at the API;
 * results and errors, which handlers produce, are cleaned instead (NUL becomes U+FFFD), since refusing them would
 * fail every outcome written in the same batch.
 */
public final class NulCharacters {
  private static final char NUL = '\0';
  private static final char REPLACEMENT = '\uFFFD';

  private NulCharacters() {}

  /** Whether any key or string value, at any depth, holds a NUL. */
  public static boolean in(Object json) {
    if (json instanceof String text) {
      return text.indexOf(NUL) >= 0;
    }
    if (json instanceof JsonObject object) {
      return object.fieldNames().stream().anyMatch(name -> in(name) || in(object.getValue(name)));
    }
    if (json instanceof JsonArray array) {
      return array.stream().anyMatch(NulCharacters::in);
    }
    return false;
  }

  public static String replaced(String text) {
    return text.indexOf(NUL) < 0 ? text : text.replace(NUL, REPLACEMENT);
  }

  /** A copy without NUL characters, or the same object when it has none. */
  public static JsonObject replaced(JsonObject json) {
    return in(json) ? (JsonObject) copyReplacing(json) : json;
  }

  private static Object copyReplacing(Object json) {
    if (json instanceof String text) {
      return replaced(text);
    }
    if (json instanceof JsonObject object) {
      JsonObject copy = new JsonObject();
      object.forEach(field -> copy.put(replaced(field.getKey()), copyReplacing(field.getValue())));
      return copy;
    }
    if (json instanceof JsonArray array) {
      JsonArray copy = new JsonArray();
      array.forEach(item -> copy.add(copyReplacing(item)));
      return copy;
    }
    return json;
  }
}
