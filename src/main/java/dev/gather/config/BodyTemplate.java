package dev.gather.config;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * A source's request body as config writes it: any JSON value whose strings are {@link Template}s. A string that
 * is exactly one placeholder takes its value's JSON type ({@code "{body.items}"} stays a list, {@code "{userId}"}
 * a number when the value is one); a string with text around placeholders is text; everything else is literal.
 * Parsed once; {@link #render} builds the value of one call.
 */
public final class BodyTemplate {
  private final Object tree;
  private final List<Template> templates;

  private BodyTemplate(Object tree, List<Template> templates) {
    this.tree = tree;
    this.templates = List.copyOf(templates);
  }

  static BodyTemplate parse(String key, Object json, List<String> problems) {
    List<Template> templates = new ArrayList<>();
    return new BodyTemplate(compile(key, json, templates, problems), templates);
  }

  private static Object compile(String key, Object json, List<Template> templates, List<String> problems) {
    if (json instanceof String text) {
      Template template = Template.parse(key, text, problems);
      templates.add(template);
      return template;
    }
    if (json instanceof JsonObject object) {
      Map<String, Object> out = new LinkedHashMap<>();
      object.forEach(e -> out.put(e.getKey(), compile(key + "." + e.getKey(), e.getValue(), templates, problems)));
      return out;
    }
    if (json instanceof JsonArray array) {
      List<Object> out = new ArrayList<>(array.size());
      for (int i = 0; i < array.size(); i++) {
        out.add(compile(key + "[" + i + "]", array.getValue(i), templates, problems));
      }
      return out;
    }
    return json;
  }

  /** Every template in it, for the sources it depends on and what of the client's request it reads. */
  public List<Template> templates() {
    return templates;
  }

  /**
   * The body of one call: {@code single} gives the value of a string that is one placeholder (any JSON type),
   * {@code text} the rendering of any other string.
   */
  public Object render(Function<Template.Part, Object> single, Function<Template, String> text) {
    return render(tree, single, text);
  }

  @SuppressWarnings("unchecked")
  private static Object render(Object node, Function<Template.Part, Object> single, Function<Template, String> text) {
    if (node instanceof Template template) {
      return template.single().isPresent() ? single.apply(template.single().get()) : text.apply(template);
    }
    if (node instanceof Map<?, ?> map) {
      JsonObject out = new JsonObject();
      ((Map<String, Object>) map).forEach((k, v) -> out.put(k, render(v, single, text)));
      return out;
    }
    if (node instanceof List<?> list) {
      JsonArray out = new JsonArray();
      list.forEach(v -> out.add(render(v, single, text)));
      return out;
    }
    return node;
  }
}
