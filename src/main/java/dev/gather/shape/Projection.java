package dev.gather.shape;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The part of a JSON value that a list of dotted field paths selects ({@code profile.name}, {@code
 * friends.name}): objects keep only the selected keys (those absent stay absent), a list is walked item by
 * item with the same selection, and a path that stops at a value keeps all of it. {@code profile} together
 * with {@code profile.name} is {@code profile} whole.
 */
public final class Projection {
  /** A selected key's own selection; an empty map means all of it. */
  private final Map<String, Projection> children;

  private Projection(Map<String, Projection> children) {
    this.children = children;
  }

  public static Projection of(Collection<String> paths) {
    Projection root = new Projection(new LinkedHashMap<>());
    for (String path : paths) {
      root.add(path.split("\\."), 0);
    }
    return root;
  }

  private void add(String[] segments, int at) {
    Projection child = children.get(segments[at]);
    if (child == null) {
      child = new Projection(new LinkedHashMap<>());
      children.put(segments[at], child);
    } else if (child.children.isEmpty()) {
      return; // already selected whole
    }
    if (at + 1 == segments.length) {
      child.children.clear();
    } else {
      child.add(segments, at + 1);
    }
  }

  /** The top-level keys selected. */
  public Set<String> keys() {
    return children.keySet();
  }

  /** The selected part of {@code value}, a new tree (the value's own nodes are shared, not changed). */
  public JsonNode apply(JsonNode value) {
    if (children.isEmpty() || value == null) {
      return value;
    }
    if (value instanceof ObjectNode object) {
      ObjectNode out = Nodes.object();
      children.forEach((key, child) -> {
        JsonNode field = object.get(key);
        if (field != null) {
          out.set(key, child.apply(field));
        }
      });
      return out;
    }
    if (value instanceof ArrayNode array) {
      ArrayNode out = Nodes.array();
      array.forEach(item -> out.add(apply(item)));
      return out;
    }
    return value; // a number, a string or null has no fields to pick: it stays as it is
  }
}
