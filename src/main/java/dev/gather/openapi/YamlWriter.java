package dev.gather.openapi;

import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.regex.Pattern;

/**
 * Block-style YAML for a JSON tree, so that the generated operations read like the hand-written ones around
 * them. Every string is written double-quoted as JSON encodes it, which YAML reads back unchanged: no value from
 * the config (a name, a path) can turn into YAML syntax.
 */
final class YamlWriter {
  private static final Pattern PLAIN_KEY = Pattern.compile("[A-Za-z_$][A-Za-z0-9_$-]*");

  private YamlWriter() {}

  /** {@code object}'s entries, each key at {@code indent} spaces. */
  static String write(JsonObject object, int indent) {
    StringBuilder out = new StringBuilder();
    entries(out, object, indent);
    return out.toString();
  }

  private static void entries(StringBuilder out, JsonObject object, int indent) {
    for (String key : object.fieldNames()) {
      out.append(" ".repeat(indent)).append(key(key)).append(':');
      value(out, object.getValue(key), indent);
    }
  }

  /** After a key or a dash: a scalar or empty collection on the same line, anything else on the next lines. */
  private static void value(StringBuilder out, Object value, int indent) {
    if (value instanceof JsonObject object && !object.isEmpty()) {
      out.append('\n');
      entries(out, object, indent + 2);
    } else if (value instanceof JsonArray array && !array.isEmpty()) {
      out.append('\n');
      for (Object item : array) {
        out.append(" ".repeat(indent + 2)).append('-');
        if (item instanceof JsonObject object && !object.isEmpty()) {
          // The first entry goes on the dash's line; the rest line up under it.
          String nested = write(object, indent + 4);
          out.append(' ').append(nested.substring(indent + 4));
        } else {
          value(out, item, indent + 2);
        }
      }
    } else {
      out.append(' ').append(scalar(value)).append('\n');
    }
  }

  /** YAML 1.1 readers take these as booleans or null, so they are quoted like anything unusual. */
  private static final java.util.Set<String> RESERVED =
      java.util.Set.of("true", "false", "null", "yes", "no", "on", "off", "y", "n");

  private static String key(String key) {
    return PLAIN_KEY.matcher(key).matches() && !RESERVED.contains(key.toLowerCase(java.util.Locale.ROOT))
        ? key : Json.encode(key);
  }

  private static String scalar(Object value) {
    if (value instanceof JsonObject) {
      return "{}";
    }
    if (value instanceof JsonArray) {
      return "[]";
    }
    return Json.encode(value);
  }
}
