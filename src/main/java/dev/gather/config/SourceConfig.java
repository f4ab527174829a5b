package dev.gather.config;

import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * One named source of an aggregate: an upstream call ({@code upstream} + {@code path}) or a named SQL query
 * ({@code query} + {@code params}), optionally repeated {@code forEach} element of a list. {@code dependencies}
 * are the other sources it needs before it can start, worked out once here since every request asks.
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
    List<Integer> passStatus) {

  private static final Set<String> KEYS =
      Set.of("upstream", "method", "path", "query", "params", "required", "forEach", "as", "passStatus");
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
    List<Integer> passStatus = in.integers("passStatus", List.of(), 400, 499);
    if (!passStatus.isEmpty() && !required) {
      in.problem("passStatus", ": only a required source decides the answer's status; add \"required\": true "
          + "or remove passStatus");
    }
    return new SourceConfig(name, upstream, method, path, query, List.copyOf(params),
        required, forEach, in.text("as").orElse("item"), passStatus);
  }

  SourceConfig(String name, Optional<String> upstream, String method, Template path, Optional<String> query,
      List<Template> params, boolean required, Optional<Template.Part> forEach, String as, List<Integer> passStatus) {
    this(name, upstream, method, path, query, params, required, forEach, as, dependencies(path, params, forEach),
        List.copyOf(passStatus));
  }

  /** Every template the source renders per call; what the request must carry (parameters, body) is read here. */
  public List<Template> templates() {
    List<Template> all = new ArrayList<>(1 + params.size());
    all.add(path);
    all.addAll(params);
    return all;
  }

  private static Set<String> dependencies(Template path, List<Template> params, Optional<Template.Part> forEach) {
    Set<String> sources = new LinkedHashSet<>(path.sources());
    params.forEach(p -> sources.addAll(p.sources()));
    forEach.flatMap(Template.Part::source).ifPresent(sources::add);
    return Collections.unmodifiableSet(sources);
  }
}
