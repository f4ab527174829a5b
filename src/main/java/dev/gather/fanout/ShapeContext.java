package dev.gather.fanout;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gather.shape.Nodes;
import dev.gather.upstream.RawJson;
import io.vertx.core.json.JsonArray;
import java.util.Map;

/**
 * The one object every expression of an aggregate ({@code when}, {@code shape}) sees: each source's data under
 * its name (null when it failed without a fallback, or was skipped), {@code params} (path and query
 * parameters, as strings) and {@code body} (the client's JSON body, or null).
 */
final class ShapeContext {
  private ShapeContext() {}

  static ObjectNode of(Map<String, String> params, Object body, Iterable<SourceResult> results) {
    ObjectNode context = Nodes.object();
    ObjectNode parameters = context.putObject("params");
    params.forEach(parameters::put);
    context.set("body", Nodes.of(body));
    for (SourceResult result : results) {
      context.set(result.name(), result.hasData() ? node(result.data()) : NullNode.getInstance());
    }
    return context;
  }

  /** Data as a tree; bytes kept as they came (a source nobody else read) are parsed, once checked already. */
  static JsonNode node(Object data) {
    if (data instanceof RawJson raw) {
      return Nodes.parse(raw.bytes());
    }
    if (data instanceof JsonArray array && array.stream().anyMatch(RawJson.class::isInstance)) {
      ArrayNode items = Nodes.array();
      array.forEach(item -> items.add(node(item)));
      return items;
    }
    return Nodes.of(data);
  }
}
