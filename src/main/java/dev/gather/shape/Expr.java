package dev.gather.shape;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import io.burt.jmespath.Expression;
import io.burt.jmespath.JmesPathException;
import io.burt.jmespath.jackson.JacksonRuntime;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A compiled JMESPath expression. Compiled once, when the config is read; a mistake in it is a config problem
 * naming its key. JMESPath only reads the data it is given (no variables, no I/O, no calls out), which is why
 * an expression from config may run on the event loop.
 */
public final class Expr {
  /** Stateless once built, and its function registry is the standard one only: nothing an expression can call. */
  private static final JacksonRuntime RUNTIME = new JacksonRuntime();

  private final String text;
  private final Expression<JsonNode> compiled;
  private final Set<String> names;

  private Expr(String text, Expression<JsonNode> compiled, Set<String> names) {
    this.text = text;
    this.compiled = compiled;
    this.names = names;
  }

  /** {@code text} compiled, or empty with the mistake in {@code problems} as {@code key = "text": why; the fix}. */
  public static Optional<Expr> compile(String key, String text, List<String> problems) {
    try {
      return Optional.of(new Expr(text, RUNTIME.compile(text), Identifiers.roots(text)));
    } catch (JmesPathException e) {
      // The library's message repeats the whole expression, which the problem already quotes.
      String why = oneLine(e.getMessage()).replace("Unable to compile expression \"" + oneLine(text) + "\": ", "");
      problems.add(key + " = \"" + text + "\": not a JMESPath expression (" + why
          + "); write e.g. \"profile.name\" or \"{id: profile.id, names: friends[].name}\"");
      return Optional.empty();
    }
  }

  /** The result for {@code data} (never Java null: JSON null instead). */
  public JsonNode search(JsonNode data) {
    try {
      JsonNode result = compiled.search(data == null ? NullNode.getInstance() : data);
      return result == null ? NullNode.getInstance() : result;
    } catch (JmesPathException | ClassCastException | IllegalArgumentException e) {
      throw new ShapeException("\"" + text + "\" failed: " + oneLine(e.getMessage()));
    }
  }

  /** Whether the result for {@code data} is true as JMESPath sees it (not false, null, "", [] or {}). */
  public boolean test(JsonNode data) {
    return Nodes.truthy(search(data));
  }

  /**
   * The names this expression may read from the top of its input: more than it reads, never fewer, so that a
   * source it names is waited for (see {@link Identifiers}).
   */
  public Set<String> names() {
    return names;
  }

  public String text() {
    return text;
  }

  @Override
  public String toString() {
    return text;
  }


  private static String oneLine(String message) {
    return message == null ? "no detail" : message.replaceAll("\\s+", " ").trim();
  }
}
