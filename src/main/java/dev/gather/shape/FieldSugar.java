package dev.gather.shape;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/**
 * The sugar of a source's {@code allow} (fields kept), {@code deny} (fields dropped) and {@code rename}
 * (old name to new), applied to an object, or to each object of a list; anything else passes unchanged.
 */
public record FieldSugar(Set<String> allow, Set<String> deny, Map<String, String> rename) {
  public static final FieldSugar NONE = new FieldSugar(Set.of(), Set.of(), Map.of());

  public boolean isEmpty() {
    return allow.isEmpty() && deny.isEmpty() && rename.isEmpty();
  }

  JsonNode apply(JsonNode node) {
    if (node.isObject()) {
      return applyToObject((ObjectNode) node);
    }
    if (node.isArray()) {
      ArrayNode out = Nodes.FACTORY.arrayNode(node.size());
      node.forEach(item -> out.add(item.isObject() ? applyToObject((ObjectNode) item) : item));
      return out;
    }
    return node;
  }

  private JsonNode applyToObject(ObjectNode object) {
    ObjectNode out = Nodes.FACTORY.objectNode();
    for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> field = it.next();
      String name = field.getKey();
      if ((allow.isEmpty() || allow.contains(name)) && !deny.contains(name)) {
        out.set(rename.getOrDefault(name, name), field.getValue());
      }
    }
    return out;
  }
}
