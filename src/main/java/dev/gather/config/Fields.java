package dev.gather.config;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Reads the fields of one named entry of a map section ({@code upstreams.users}, {@code aggregates.dashboard
 * .sources.profile}) and records every mistake with its full key. {@link ConfigReader} reads the fixed keys
 * through it too, so every number in the configuration is checked and reported the same way.
 */
final class Fields {
  private final String prefix;
  private final JsonObject json;
  private final List<String> problems;

  Fields(String prefix, JsonObject json, List<String> problems) {
    this.prefix = prefix;
    this.json = json;
    this.problems = problems;
  }

  String key(String field) {
    return prefix + "." + field;
  }

  void problem(String field, String message) {
    problems.add(key(field) + message);
  }

  boolean has(String field) {
    return json.getValue(field) != null;
  }

  /** The field's value as written (null when absent), for keys that take more than one type. */
  Object raw(String field) {
    return json.getValue(field);
  }

  Optional<String> text(String field) {
    Object value = json.getValue(field);
    if (value == null) {
      return Optional.empty();
    }
    if (!(value instanceof String s) || s.isBlank()) {
      problems.add(key(field) + " = " + value + ": expected a non-empty string");
      return Optional.empty();
    }
    return Optional.of(s.trim());
  }

  String requiredText(String field, String example) {
    Optional<String> value = text(field);
    if (value.isEmpty() && !has(field)) {
      problems.add(key(field) + ": missing; add it, e.g. \"" + field + "\": \"" + example + "\"");
    }
    return value.orElse("");
  }

  long number(String field, long fallback, long min, long max) {
    Object value = json.getValue(field);
    if (value == null) {
      return fallback;
    }
    try {
      return value instanceof String text ? Integers.fromText(field, text, min, max)
          : Integers.fromJson(field, value, min, max);
    } catch (Integers.Invalid e) {
      problems.add(e.wholeNumber()
          ? key(field) + " = " + value.toString().trim() + ": out of range; use an integer from " + min + " to " + max
              + " (default " + fallback + ")"
          : key(field) + " = " + quoted(value) + ": not a whole number; use an integer from " + min + " to " + max
              + " (default " + fallback + ")");
    }
    return fallback;
  }

  double fraction(String field, double fallback, double min, double max) {
    Object value = json.getValue(field);
    if (value == null) {
      return fallback;
    }
    if (value instanceof Number n && n.doubleValue() >= min && n.doubleValue() <= max) {
      return n.doubleValue();
    }
    problems.add(key(field) + " = " + quoted(value) + ": use a number from " + min + " to " + max
        + " (default " + fallback + ")");
    return fallback;
  }

  /** Whether the field holds exactly this text (for keys that take a number or a keyword). */
  boolean isText(String field, String text) {
    return text.equals(json.getValue(field));
  }

  Fields nested(String field, JsonObject value) {
    return new Fields(key(field), value, problems);
  }

  List<Integer> integers(String field, List<Integer> fallback, int min, int max) {
    Object value = json.getValue(field);
    if (value == null) {
      return fallback;
    }
    List<Integer> numbers = new ArrayList<>();
    if (value instanceof JsonArray array) {
      for (Object item : array) {
        if (item instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue()) && n.intValue() >= min
            && n.intValue() <= max) {
          numbers.add(n.intValue());
        } else {
          problems.add(key(field) + ": " + quoted(item) + " is not an integer from " + min + " to " + max);
        }
      }
      return List.copyOf(numbers);
    }
    problems.add(key(field) + " = " + quoted(value) + ": expected a list of integers, e.g. " + fallback);
    return fallback;
  }

  int integer(String field, int fallback, int min, int max) {
    return (int) number(field, fallback, min, max);
  }

  boolean bool(String field, boolean fallback) {
    Object value = json.getValue(field);
    if (value == null) {
      return fallback;
    }
    if (value instanceof Boolean b) {
      return b;
    }
    if ("true".equals(value) || "false".equals(value)) {
      return Boolean.parseBoolean((String) value);
    }
    problems.add(key(field) + " = " + value + ": expected true or false");
    return fallback;
  }

  List<String> texts(String field) {
    Object value = json.getValue(field);
    if (value == null) {
      return List.of();
    }
    List<String> texts = new ArrayList<>();
    if (value instanceof JsonArray array) {
      for (Object item : array) {
        if (item instanceof String s) {
          texts.add(s);
        } else {
          problems.add(key(field) + ": " + item + " is not a string; write a list of strings");
        }
      }
    } else {
      problems.add(key(field) + " = " + value + ": expected a list of strings, e.g. [\"...\"]");
    }
    return texts;
  }

  Optional<JsonObject> object(String field) {
    Object value = json.getValue(field);
    if (value == null) {
      return Optional.empty();
    }
    if (value instanceof JsonObject object) {
      return Optional.of(object);
    }
    problems.add(key(field) + " = " + value + ": expected an object {...}");
    return Optional.empty();
  }

  private static String quoted(Object value) {
    return value instanceof String ? "\"" + value + "\"" : String.valueOf(value);
  }

  void rejectUnknown(Set<String> known) {
    for (String name : json.fieldNames()) {
      if (!known.contains(name)) {
        problems.add(key(name) + ": unknown key; keys here are " + String.join(", ", new TreeSet<>(known)));
      }
    }
  }
}
