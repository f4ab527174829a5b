package dev.gather.config;

import dev.gather.shape.Shape;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * An aggregate's {@code fields}: the field paths a client may select with {@code ?fields=}, each with every
 * source it needs to be built (the sources its value reads, and what those wait for), and the sources that run
 * whatever is selected ({@code alwaysRun}: the required ones, whose failure decides the answer's status, and
 * what they wait for). Worked out when the config loads, so a request only looks its fields up.
 *
 * <p>Which sources a field reads: without a {@code shape}, a field's first segment is a source's name; with a
 * JSON-template shape that is an object, the names its top-level key's expressions read (a superset, so a
 * needed source is never left out); with a shape that is one expression (or a list), every source the shape
 * reads, unless the entry declares its {@code sources}.
 */
public record SelectableFields(Map<String, Set<String>> needs, Set<String> alwaysRun) {
  /** The query parameter a client selects with. */
  public static final String PARAMETER = "fields";
  private static final Pattern PATH = Pattern.compile("[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*");

  /** The allowed paths, in the order the config lists them. */
  public Set<String> allowed() {
    return needs.keySet();
  }

  static Optional<SelectableFields> parse(String key, Object value, Map<String, SourceConfig> sources,
      Optional<Shape> shape, List<String> problems) {
    if (!(value instanceof JsonArray entries) || entries.isEmpty()) {
      problems.add(key + " = " + value + ": expected a non-empty list of field paths, e.g. [\"profile.name\", "
          + "\"friends.name\"] (an entry may be {\"field\": \"summary\", \"sources\": [\"profile\"]})");
      return Optional.empty();
    }
    Map<String, Set<String>> needs = new LinkedHashMap<>();
    for (int i = 0; i < entries.size(); i++) {
      String entryKey = key + "." + i;
      Object entry = entries.getValue(i);
      String path;
      Optional<List<String>> declared = Optional.empty();
      if (entry instanceof String text) {
        path = text.trim();
      } else if (entry instanceof JsonObject object) {
        Fields in = new Fields(entryKey, object, problems);
        in.rejectUnknown(Set.of("field", "sources"));
        path = in.requiredText("field", "summary");
        declared = Optional.of(in.texts("sources"));
        if (!object.containsKey("sources")) {
          in.problem("sources", ": missing; list the sources the field reads, e.g. [\"profile\"], or give the field "
              + "as a plain string to let gather work them out");
        }
      } else {
        problems.add(entryKey + " = " + entry + ": expected a field path (\"profile.name\") or {\"field\": …, "
            + "\"sources\": […]}");
        continue;
      }
      if (!PATH.matcher(path).matches()) {
        problems.add(entryKey + " = \"" + path + "\": not a field path; write names joined by dots, e.g. "
            + "\"profile.name\"");
        continue;
      }
      if (needs.containsKey(path)) {
        problems.add(entryKey + " = \"" + path + "\": listed twice; keep one");
        continue;
      }
      Optional<Set<String>> read = declared.isPresent() ? declared(entryKey, declared.get(), sources, problems)
          : derived(entryKey, path, sources, shape, problems);
      read.ifPresent(names -> needs.put(path, closure(names, sources)));
    }
    Set<String> required = new LinkedHashSet<>();
    sources.values().stream().filter(SourceConfig::required).forEach(s -> required.add(s.name()));
    return Optional.of(new SelectableFields(Collections.unmodifiableMap(needs), closure(required, sources)));
  }

  private static Optional<Set<String>> declared(String key, List<String> names, Map<String, SourceConfig> sources,
      List<String> problems) {
    for (String name : names) {
      if (!sources.containsKey(name)) {
        problems.add(key + ".sources: \"" + name + "\" is no source of this aggregate; its sources are "
            + sources.keySet());
        return Optional.empty();
      }
    }
    return Optional.of(new LinkedHashSet<>(names));
  }

  private static Optional<Set<String>> derived(String key, String path, Map<String, SourceConfig> sources,
      Optional<Shape> shape, List<String> problems) {
    String top = path.split("\\.")[0];
    if (shape.isEmpty()) {
      if (!sources.containsKey(top)) {
        problems.add(key + " = \"" + path + "\": without a shape the data's top-level keys are the sources "
            + sources.keySet() + ", and " + top + " is none of them");
        return Optional.empty();
      }
      return Optional.of(Set.of(top));
    }
    Map<String, Set<String>> byKey = shape.get().namesByKey();
    Set<String> names;
    if (byKey.isEmpty()) {
      names = shape.get().names(); // one expression: its fields cannot be told apart, so all it reads
    } else if (byKey.containsKey(top)) {
      names = byKey.get(top);
    } else {
      problems.add(key + " = \"" + path + "\": the shape has no top-level key " + top + "; its keys are "
          + byKey.keySet());
      return Optional.empty();
    }
    Set<String> read = new LinkedHashSet<>(names);
    read.retainAll(sources.keySet());
    return Optional.of(read);
  }

  /** {@code names} and every source they wait for, however indirectly (templates, forEach, when). */
  private static Set<String> closure(Set<String> names, Map<String, SourceConfig> sources) {
    Set<String> all = new LinkedHashSet<>();
    Deque<String> todo = new ArrayDeque<>(names);
    while (!todo.isEmpty()) {
      String name = todo.pop();
      SourceConfig source = sources.get(name);
      if (source != null && all.add(name)) {
        todo.addAll(source.dependencies());
      }
    }
    return Collections.unmodifiableSet(all);
  }

  /**
   * Problems when a source reads the request parameter {@code fields} itself: with a {@code fields} list the
   * parameter selects fields, so it can no longer reach the sources.
   */
  static void checkParameterFree(String key, Map<String, SourceConfig> sources, List<String> problems) {
    for (SourceConfig source : sources.values()) {
      boolean reads = source.allTemplates().stream().anyMatch(t -> t.parameters().contains(PARAMETER))
          || source.forwardQuery().contains(PARAMETER)
          || source.forEach().filter(f -> f.source().isEmpty() && f.parameter().equals(PARAMETER)).isPresent();
      if (reads) {
        problems.add(key + ": source " + source.name() + " reads the request parameter " + PARAMETER + ", which "
            + "selects fields when the aggregate lists them; rename the parameter the source reads");
      }
    }
  }
}
