package dev.gather.config;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gather.shape.Expr;
import dev.gather.shape.FieldSugar;
import dev.gather.shape.Nodes;
import dev.gather.shape.Selection;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * One named source of an aggregate: an upstream call ({@code upstream} + {@code path}) or a named SQL query
 * ({@code query} + {@code params}), optionally repeated {@code forEach} element of a list. {@code dependencies}
 * are the other sources it needs before it can start, worked out once here since every request asks.
 * {@code select} (with {@code allow}/{@code deny}/{@code rename}) replaces its answer; {@code when} decides
 * whether it runs; {@code fallback} (JSON, null included) is its data when it fails, if optional.
 */
public record SourceConfig(
    String name,
    Optional<String> upstream,
    String method,
    Template path,
    Optional<String> query,
    List<Template> params,
    boolean required,
    Optional<Template.Part> forEach,
    String as,
    Set<String> dependencies,
    Optional<Selection> select,
    Optional<Expr> when,
    Optional<JsonNode> fallback) {

  private static final Set<String> KEYS =
      Set.of("upstream", "method", "path", "query", "params", "required", "forEach", "as", "select", "allow",
          "deny", "rename", "when", "fallback");
  private static final Set<String> METHODS = Set.of("GET", "HEAD", "POST", "PUT", "DELETE");

  static SourceConfig parse(String key, String name, JsonObject json, List<String> problems) {
    Fields in = new Fields(key, json, problems);
    in.rejectUnknown(KEYS);
    Optional<String> upstream = in.text("upstream");
    Optional<String> query = in.text("query");
    if (upstream.isPresent() == query.isPresent()) {
      problems.add(key + ": give either \"upstream\" (with \"path\") or \"query\" (with \"params\"), not "
          + (upstream.isPresent() ? "both" : "neither"));
    }
    String method = in.text("method").map(String::toUpperCase).orElse("GET");
    if (!METHODS.contains(method)) {
      in.problem("method", " = \"" + method + "\": use one of " + String.join(", ", new java.util.TreeSet<>(METHODS)));
    }
    String pathText = upstream.isPresent() ? in.requiredText("path", "/users/{userId}") : in.text("path").orElse("/");
    if (!pathText.isEmpty() && !pathText.startsWith("/")) {
      in.problem("path", " = \"" + pathText + "\": must start with /");
    }
    Template path = Template.parse(in.key("path"), pathText, problems);
    List<Template> params = new ArrayList<>();
    for (String param : in.texts("params")) {
      params.add(Template.parse(in.key("params"), param, problems));
    }
    Optional<Template.Part> forEach = in.text("forEach").map(Template::reference);
    boolean required = in.bool("required", false);
    Optional<JsonNode> fallback = json.containsKey("fallback") ? Optional.of(Nodes.of(json.getValue("fallback")))
        : Optional.empty();
    if (fallback.isPresent() && required) {
      in.problem("fallback", ": not allowed on a required source (its failure decides the answer); drop "
          + "\"fallback\" or make the source optional");
    }
    Optional<Expr> when = in.text("when").flatMap(text -> Expr.compile(in.key("when"), text, problems));
    return new SourceConfig(name, upstream, method, path, query, List.copyOf(params), required, forEach,
        in.text("as").orElse("item"), dependencies(path, params, forEach), selection(in, problems), when, fallback);
  }

  /** {@code select}, then the sugar: empty when the source keeps its answer as it came. */
  private static Optional<Selection> selection(Fields in, List<String> problems) {
    Optional<Expr> select = in.text("select").flatMap(text -> Expr.compile(in.key("select"), text, problems));
    Set<String> allow = new LinkedHashSet<>(in.texts("allow"));
    Set<String> deny = new LinkedHashSet<>(in.texts("deny"));
    if (!allow.isEmpty() && !deny.isEmpty()) {
      in.problem("deny", ": give \"allow\" (the fields kept) or \"deny\" (the fields dropped), not both");
    }
    Map<String, String> rename = new LinkedHashMap<>();
    in.object("rename").ifPresent(names -> names.forEach(entry -> {
      if (entry.getValue() instanceof String to && !to.isBlank()) {
        rename.put(entry.getKey(), to);
      } else {
        in.problem("rename", "." + entry.getKey() + " = " + entry.getValue()
            + ": expected the new name as a string, e.g. {\"old\": \"new\"}");
      }
    }));
    FieldSugar sugar = new FieldSugar(Set.copyOf(allow), Set.copyOf(deny), Map.copyOf(rename));
    return select.isEmpty() && sugar.isEmpty() ? Optional.empty() : Optional.of(new Selection(select, sugar));
  }

  /** Whether {@code dependency} is waited for only because the {@code when} names it: no template reads it. */
  public boolean onlyWhenReads(String dependency) {
    return !dependencies(path, params, forEach).contains(dependency);
  }

  /** This source with {@code more} sources to wait for (those its {@code when} reads). */
  SourceConfig withDependencies(Set<String> more) {
    if (dependencies.containsAll(more)) {
      return this;
    }
    Set<String> all = new LinkedHashSet<>(dependencies);
    all.addAll(more);
    return new SourceConfig(name, upstream, method, path, query, params, required, forEach, as,
        Collections.unmodifiableSet(all), select, when, fallback);
  }

  private static Set<String> dependencies(Template path, List<Template> params, Optional<Template.Part> forEach) {
    Set<String> sources = new LinkedHashSet<>(path.sources());
    params.forEach(p -> sources.addAll(p.sources()));
    forEach.flatMap(Template.Part::source).ifPresent(sources::add);
    return Collections.unmodifiableSet(sources);
  }
}
