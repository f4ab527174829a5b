package dev.gather.shape;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * An aggregate's {@code shape}: one JMESPath expression, or a JSON template whose string values written
 * {@code "{expression}"} are expressions (their results keep their JSON type) and whose other values are
 * literals, nested as deep as the template is.
 */
public abstract sealed class Shape {
  private Shape() {}

  /** The final data built from {@code context}; a {@link ShapeException} when an expression fails on it. */
  public abstract JsonNode apply(JsonNode context);

  /** The names the shape may read from the top of the context (see {@link Expr#names}). */
  public abstract Set<String> names();

  /**
   * For a JSON template that is an object, the names each of its top-level keys may read (a superset, as
   * {@link #names}); empty for an expression or a list, whose parts a field cannot be told apart by.
   */
  public Map<String, Set<String>> namesByKey() {
    return Map.of();
  }

  /**
   * This shape building only the top-level {@code keys} of an object template (the others are not evaluated,
   * so they cannot fail on sources that did not run); an expression or a list is returned whole.
   */
  public Shape only(Set<String> keys) {
    return this;
  }

  /**
   * {@code value} (a string: an expression; an object or array: a template) compiled, or empty with each
   * mistake in {@code problems} under its key, e.g. {@code aggregates.me.shape.name}.
   */
  public static Optional<Shape> parse(String key, Object value, List<String> problems) {
    if (value instanceof String text) {
      return Expr.compile(key, text, problems).map(Expression::new);
    }
    if (value instanceof JsonObject || value instanceof JsonArray) {
      int before = problems.size();
      Shape template = template(key, value, problems);
      return problems.size() == before ? Optional.of(template) : Optional.empty();
    }
    problems.add(key + " = " + value + ": expected a JMESPath expression (a string) or a JSON template (an object or "
        + "a list), e.g. {\"name\": \"{profile.name}\"}");
    return Optional.empty();
  }

  private static Shape template(String key, Object value, List<String> problems) {
    if (value instanceof JsonObject object) {
      Map<String, Shape> fields = new LinkedHashMap<>();
      for (Map.Entry<String, Object> entry : object) {
        fields.put(entry.getKey(), template(key + "." + entry.getKey(), entry.getValue(), problems));
      }
      return new ObjectTemplate(fields);
    }
    if (value instanceof JsonArray array) {
      List<Shape> items = new ArrayList<>();
      for (int i = 0; i < array.size(); i++) {
        items.add(template(key + "." + i, array.getValue(i), problems));
      }
      return new ArrayTemplate(items);
    }
    if (value instanceof String text && text.length() >= 2 && text.startsWith("{") && text.endsWith("}")) {
      return Expr.compile(key, text.substring(1, text.length() - 1).trim(), problems)
          .<Shape>map(Expression::new).orElseGet(() -> new Literal(Nodes.of(null)));
    }
    return new Literal(Nodes.of(value));
  }

  static final class Expression extends Shape {
    private final Expr expr;

    Expression(Expr expr) {
      this.expr = expr;
    }

    @Override
    public JsonNode apply(JsonNode context) {
      return expr.search(context);
    }

    @Override
    public Set<String> names() {
      return expr.names();
    }
  }

  static final class ObjectTemplate extends Shape {
    private final Map<String, Shape> fields;

    ObjectTemplate(Map<String, Shape> fields) {
      this.fields = fields;
    }

    @Override
    public JsonNode apply(JsonNode context) {
      ObjectNode out = Nodes.FACTORY.objectNode();
      fields.forEach((name, shape) -> out.set(name, shape.apply(context)));
      return out;
    }

    @Override
    public Set<String> names() {
      Set<String> names = new LinkedHashSet<>();
      fields.values().forEach(f -> names.addAll(f.names()));
      return names;
    }

    @Override
    public Map<String, Set<String>> namesByKey() {
      Map<String, Set<String>> byKey = new LinkedHashMap<>();
      fields.forEach((name, shape) -> byKey.put(name, shape.names()));
      return byKey;
    }

    @Override
    public Shape only(Set<String> keys) {
      Map<String, Shape> kept = new LinkedHashMap<>();
      fields.forEach((name, shape) -> {
        if (keys.contains(name)) {
          kept.put(name, shape);
        }
      });
      return new ObjectTemplate(kept);
    }
  }

  static final class ArrayTemplate extends Shape {
    private final List<Shape> items;

    ArrayTemplate(List<Shape> items) {
      this.items = items;
    }

    @Override
    public JsonNode apply(JsonNode context) {
      ArrayNode out = Nodes.FACTORY.arrayNode(items.size());
      items.forEach(item -> out.add(item.apply(context)));
      return out;
    }

    @Override
    public Set<String> names() {
      Set<String> names = new LinkedHashSet<>();
      items.forEach(i -> names.addAll(i.names()));
      return names;
    }
  }

  /** A literal is shared by every request, so it is never handed out to be changed: a copy goes out each time. */
  static final class Literal extends Shape {
    private final JsonNode value;

    Literal(JsonNode value) {
      this.value = value;
    }

    @Override
    public JsonNode apply(JsonNode context) {
      return value.deepCopy();
    }

    @Override
    public Set<String> names() {
      return Set.of();
    }
  }
}
