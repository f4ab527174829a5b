package dev.gather.jobs.builtin;

import dev.gather.config.Integers;
import dev.gather.jobs.handler.PermanentJobFailure;
import io.vertx.core.json.JsonObject;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Supplier;

/** Reading job inputs with messages that name the field and what would be accepted. */
final class Inputs {
  private Inputs() {}

  /** Absent and JSON null both mean "not given", so clients may send {@code "salt": null} for the default. */
  static OptionalLong optionalInteger(JsonObject input, String field, long min, long max) {
    Object value = input == null ? null : input.getValue(field);
    return value == null ? OptionalLong.empty() : OptionalLong.of(Integers.fromJson(field, value, min, max));
  }

  static long requiredInteger(JsonObject input, String field, long min, long max) {
    return optionalInteger(input, field, min, max).orElseThrow(() -> new IllegalArgumentException(
        field + " is required: an integer from " + min + " to " + max));
  }

  /** The value is never quoted back, so a secret given in the wrong field cannot leak through the message. */
  static Optional<String> optionalString(JsonObject input, String field) {
    Object value = input == null ? null : input.getValue(field);
    if (value == null) {
      return Optional.empty();
    }
    if (!(value instanceof String s)) {
      throw new IllegalArgumentException(field + " must be a string, got " + kind(value));
    }
    return Optional.of(s);
  }

  /**
   * Re-reads an input inside {@code run}: it was validated when accepted, so failing now means it can never
   * succeed, and retrying would only fail the same way.
   */
  static <T> T forRun(Supplier<T> parse) {
    try {
      return parse.get();
    } catch (IllegalArgumentException e) {
      throw new PermanentJobFailure(e.getMessage(), e);
    }
  }

  private static String kind(Object value) {
    if (value instanceof Number) {
      return "a number";
    }
    if (value instanceof String) {
      return "a string";
    }
    if (value instanceof Boolean) {
      return "a boolean";
    }
    if (value instanceof JsonObject || value instanceof java.util.Map) {
      return "an object";
    }
    return "an array";
  }
}
