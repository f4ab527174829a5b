package dev.gather.shape;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Between the two JSON trees in the process: Vert.x's (what upstream answers, SQL rows and templates use) and
 * Jackson's (what JMESPath runs on). A walk each way, with numbers kept as the exact type they were (an
 * integer stays an integer, a big one stays big), never through text.
 */
public final class Nodes {
  static final JsonNodeFactory FACTORY = JsonNodeFactory.withExactBigDecimals(true);
  private static final ObjectMapper MAPPER = new ObjectMapper().setNodeFactory(FACTORY);

  private Nodes() {}

  public static ObjectNode object() {
    return FACTORY.objectNode();
  }

  public static ArrayNode array() {
    return FACTORY.arrayNode();
  }

  /** A JSON text (bytes an upstream sent) as a tree. */
  public static JsonNode parse(Buffer bytes) {
    try {
      return MAPPER.readTree(bytes.getBytes());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A Vert.x JSON value (JsonObject, JsonArray, Map, List, String, Number, Boolean or null) as a tree. */
  public static JsonNode of(Object value) {
    if (value == null) {
      return NullNode.getInstance();
    }
    if (value instanceof JsonNode node) {
      return node;
    }
    if (value instanceof JsonObject object) {
      return object(object.getMap());
    }
    if (value instanceof Map<?, ?> map) {
      return object(map);
    }
    if (value instanceof JsonArray array) {
      return array(array.getList());
    }
    if (value instanceof List<?> list) {
      return array(list);
    }
    if (value instanceof String s) {
      return FACTORY.textNode(s);
    }
    if (value instanceof Boolean b) {
      return FACTORY.booleanNode(b);
    }
    if (value instanceof Integer i) {
      return FACTORY.numberNode(i);
    }
    if (value instanceof Long l) {
      return FACTORY.numberNode(l);
    }
    if (value instanceof Double d) {
      return FACTORY.numberNode(d);
    }
    if (value instanceof BigInteger b) {
      return FACTORY.numberNode(b);
    }
    if (value instanceof BigDecimal b) {
      return FACTORY.numberNode(b);
    }
    if (value instanceof Number n) {
      return FACTORY.numberNode(n.doubleValue());
    }
    // What else Vert.x can hold (an Instant, bytes): as Vert.x itself would write it.
    try {
      return MAPPER.readTree(Json.encode(value));
    } catch (JsonProcessingException e) {
      return FACTORY.textNode(String.valueOf(value));
    }
  }

  private static ObjectNode object(Map<?, ?> map) {
    ObjectNode node = FACTORY.objectNode();
    for (Map.Entry<?, ?> entry : map.entrySet()) {
      node.set(String.valueOf(entry.getKey()), of(entry.getValue()));
    }
    return node;
  }

  private static ArrayNode array(List<?> list) {
    ArrayNode node = FACTORY.arrayNode(list.size());
    for (Object item : list) {
      node.add(of(item));
    }
    return node;
  }

  /** A tree as a Vert.x JSON value, for what reads data the Vert.x way (templates, forEach). */
  public static Object toVertx(JsonNode node) {
    if (node == null || node.isNull() || node.isMissingNode()) {
      return null;
    }
    if (node.isObject()) {
      JsonObject object = new JsonObject();
      for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> entry = it.next();
        object.put(entry.getKey(), toVertx(entry.getValue()));
      }
      return object;
    }
    if (node.isArray()) {
      JsonArray array = new JsonArray();
      node.forEach(item -> array.add(toVertx(item)));
      return array;
    }
    if (node.isTextual()) {
      return node.textValue();
    }
    if (node.isBoolean()) {
      return node.booleanValue();
    }
    if (node.isNumber()) {
      return node.numberValue();
    }
    return node.asText();
  }

  /** The tree as JSON text. */
  public static Buffer encode(JsonNode node) {
    try {
      return Buffer.buffer(MAPPER.writeValueAsBytes(node == null ? NullNode.getInstance() : node));
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** JMESPath truthiness: false, null, "", [] and {} are false; everything else (0 included) is true. */
  public static boolean truthy(JsonNode node) {
    if (node == null || node.isNull() || node.isMissingNode()) {
      return false;
    }
    if (node.isBoolean()) {
      return node.booleanValue();
    }
    if (node.isTextual()) {
      return !node.textValue().isEmpty();
    }
    if (node.isContainerNode()) {
      return node.size() > 0;
    }
    return true;
  }
}
