package dev.gather.config;

import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Reads typed values out of the merged configuration tree and collects every mistake, so that one run of
 * the service (or of {@code check}) names all of them. Each message names the key, the value and the fix.
 */
final class ConfigReader {
  private final JsonObject root;
  private final List<String> problems = new ArrayList<>();

  ConfigReader(JsonObject root) {
    this.root = root;
  }

  List<String> problems() {
    return problems;
  }

  void problem(String message) {
    problems.add(message);
  }

  String text(ConfigKey key) {
    Object value = raw(key);
    if (value == null) {
      return key.defaultValue();
    }
    if (value instanceof String s) {
      return s.trim();
    }
    if (value instanceof Number || value instanceof Boolean) {
      return value.toString();
    }
    problems.add(key.path() + " = " + value + ": expected a string; " + "write it in quotes, e.g. \""
        + key.defaultValue() + "\"");
    return key.defaultValue();
  }

  long number(ConfigKey key, long min, long max) {
    JsonObject node = section(key.section());
    return new Fields(key.section(), node == null ? new JsonObject() : node, problems)
        .number(key.leaf(), Long.parseLong(key.defaultValue()), min, max);
  }

  boolean bool(ConfigKey key) {
    String value = text(key);
    if (value.equals("true") || value.equals("false")) {
      return Boolean.parseBoolean(value);
    }
    problems.add(key.path() + " = " + value + ": expected true or false (default " + key.defaultValue() + ")");
    return Boolean.parseBoolean(key.defaultValue());
  }

  /** A list: a JSON array of strings, or (from an environment variable or property) comma-separated text. */
  List<String> texts(ConfigKey key) {
    Object value = raw(key);
    if (value == null) {
      value = key.defaultValue();
    }
    if (value instanceof String text && text.isBlank()) {
      return List.of();
    }
    if (value instanceof String text) {
      return Stream.of(text.split(",")).map(String::trim).filter(t -> !t.isEmpty()).toList();
    }
    if (value instanceof io.vertx.core.json.JsonArray array && array.stream().allMatch(String.class::isInstance)) {
      return array.stream().map(item -> ((String) item).trim()).toList();
    }
    problems.add(key.path() + " = " + value + ": expected a list of strings, e.g. [\"" + key.defaultValue()
        .replace(",", "\", \"") + "\"], or comma-separated text");
    return List.of();
  }

  int integer(ConfigKey key, int min, int max) {
    return (int) number(key, min, max);
  }

  /**
   * Unknown keys are mistakes too: a misspelt {@code http.prot} would otherwise be ignored in silence and the
   * service would start on a port nobody asked for.
   */
  void rejectUnknownKeys() {
    Set<String> sections = Stream.of(ConfigKey.values()).map(ConfigKey::section).collect(Collectors.toSet());
    Set<String> topLevel = sections.stream().map(s -> s.split("\\.")[0]).collect(Collectors.toSet());
    for (String name : root.fieldNames()) {
      if (!topLevel.contains(name) && !GatherConfig.NAMED_SECTIONS.contains(name)) {
        Set<String> known = new java.util.TreeSet<>(topLevel);
        known.addAll(GatherConfig.NAMED_SECTIONS);
        problems.add(name + ": unknown section; known sections are " + String.join(", ", known));
      }
    }
    for (String section : sections) {
      JsonObject node = section(section);
      if (node == null) {
        continue;
      }
      Set<String> leaves = Stream.of(ConfigKey.values())
          .filter(k -> k.section().equals(section))
          .map(ConfigKey::leaf)
          .collect(Collectors.toSet());
      Set<String> children = sections.stream()
          .filter(s -> s.startsWith(section + "."))
          .map(s -> s.substring(section.length() + 1).split("\\.")[0])
          .collect(Collectors.toSet());
      for (String name : node.fieldNames()) {
        if (!leaves.contains(name) && !children.contains(name)
            && !GatherConfig.NAMED_KEYS.contains(section + "." + name)) {
          problems.add(section + "." + name + ": unknown key; keys of " + section + " are "
              + String.join(", ", sorted(leaves)));
        }
      }
    }
  }

  /** The key was given (in the file, the environment or a system property), not left to its default. */
  boolean isSet(ConfigKey key) {
    return raw(key) != null;
  }

  private Object raw(ConfigKey key) {
    JsonObject node = section(key.section());
    return node == null ? null : node.getValue(key.leaf());
  }

  private JsonObject section(String dotted) {
    Object node = root;
    for (String part : dotted.split("\\.")) {
      if (!(node instanceof JsonObject json)) {
        return null;
      }
      node = json.getValue(part);
    }
    if (node != null && !(node instanceof JsonObject)) {
      problems.add(dotted + " = " + node + ": expected an object with keys such as "
          + Stream.of(ConfigKey.values()).filter(k -> k.section().equals(dotted)).map(ConfigKey::leaf)
              .findFirst().orElse("...")
          + "; write it as {\"...\": ...}");
      return null;
    }
    return (JsonObject) node;
  }

  private static List<String> sorted(Set<String> names) {
    return names.stream().sorted().toList();
  }
}
