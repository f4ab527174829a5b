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
 * whether it runs; {@code fallback} (JSON, null included) is its data when it fails, if optional. A forEach walks
 * at most {@code maxItems} items, and with {@code batch} calls the upstream's batch endpoint for many at once.
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
    Optional<BodyTemplate> body,
    Map<String, Template> headers,
    Map<String, List<Template>> queryParams,
    List<String> forwardQuery,
    int timeoutMs,
    List<Integer> passStatus,
    boolean one,
    Optional<Selection> select,
    Optional<Expr> when,
    Optional<JsonNode> fallback,
    Optional<Batch> batch,
    int maxItems,
    Optional<CachePolicy> cache) {

  static final Set<String> KEYS = Set.of("upstream", "method", "path", "query", "params", "required",
      "forEach", "as", "body", "headers", "forwardQuery", "timeoutMs", "passStatus", "one", "select", "allow", "deny",
      "rename", "when", "fallback", "batch", "maxItems", "cache");
  /**
   * Most items a forEach walks unless its {@code maxItems} says otherwise: enough for a page of ids, and few
   * enough that one request cannot start an unbounded number of calls (or futures) before anything sheds it.
   */
  public static final int DEFAULT_MAX_ITEMS = 1000;
  private static final Set<String> METHODS = Set.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE");
  /** An upstream source's own timeout; 0 means its upstream's {@code timeoutMs}. */
  public static final int UPSTREAM_TIMEOUT = 0;

  static SourceConfig parse(String key, String name, JsonObject json, List<String> problems) {
    return parse(key, name, json, Optional.empty(), problems);
  }

  /** {@code upstreamCache}: the {@code cache} of the upstream it calls, the default of its own. */
  static SourceConfig parse(String key, String name, JsonObject json, Optional<CacheConfig> upstreamCache,
      List<String> problems) {
    Fields in = new Fields(key, json, problems);
    in.rejectUnknown(KEYS);
    // "query" names a SQL query (a string) or, on an upstream source, the URL's query parameters (an object).
    JsonObject urlQuery = json.getValue("query") instanceof JsonObject object ? object : null;
    Optional<String> upstream = in.text("upstream");
    Optional<String> query = urlQuery == null ? in.text("query") : Optional.empty();
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
    Requests requests = Requests.parse(in, json, urlQuery, upstream.isPresent(), method, problems);
    boolean required = in.bool("required", false);
    List<Integer> passStatus = in.integers("passStatus", List.of(), 400, 499);
    if (!passStatus.isEmpty() && (!required || upstream.isEmpty())) {
      in.problem("passStatus", ": only a required upstream source passes its status on; add \"required\": true"
          + (upstream.isEmpty() ? " and call an upstream (a SQL source has \"one\": true for 404)" : "")
          + ", or remove passStatus");
    }
    boolean one = in.bool("one", false);
    if (one && upstream.isPresent()) {
      in.problem("one", ": only a SQL source (\"query\" + \"params\") returns rows; remove it here");
    }
    Optional<JsonNode> fallback = json.containsKey("fallback") ? Optional.of(Nodes.of(json.getValue("fallback")))
        : Optional.empty();
    if (fallback.isPresent() && required) {
      in.problem("fallback", ": not allowed on a required source (its failure decides the answer); drop "
          + "\"fallback\" or make the source optional");
    }
    Optional<Expr> when = in.text("when").flatMap(text -> Expr.compile(in.key("when"), text, problems));
    int maxItems = in.integer("maxItems", DEFAULT_MAX_ITEMS, 1, 100_000);
    if (in.has("maxItems") && forEach.isEmpty()) {
      in.problem("maxItems", ": only a forEach source walks items; add \"forEach\" or remove maxItems");
    }
    Optional<Batch> batch = in.object("batch").map(b -> Batch.parse(in, b, problems));
    Optional<CacheConfig> ownCache = CacheConfig.parse(in);
    Optional<CachePolicy> cache = CacheConfig.resolve(ownCache,
        upstream.isPresent() ? upstreamCache : Optional.empty());
    if (ownCache.filter(c -> !c.off()).isPresent() && upstream.isPresent()
        && (!method.equals("GET") || requests.body().isPresent())) {
      in.problem("cache", ": only a GET without a body is cached (a " + method + " changes or asks something new "
          + "each time); remove cache or make the source a GET");
    }
    SourceConfig parsed = new SourceConfig(name, upstream, method, path, query, List.copyOf(params), required, forEach,
        in.text("as").orElse("item"), requests.body(), requests.headers(), requests.query(), requests.forwardQuery(),
        requests.timeoutMs(), passStatus, one, selection(in, problems), when, fallback, batch, maxItems,
        // An upstream's default applies to the GETs among its sources only.
        method.equals("GET") && requests.body().isEmpty() ? cache : Optional.empty());
    batch.ifPresent(b -> parsed.checkBatch(in, b));
    return parsed;
  }

  /**
   * A batch call carries many items in one query parameter, so nothing else of the call may read the item:
   * the path is the batch endpoint ({@code /users}), not the item's ({@code /users/{id}}).
   */
  private void checkBatch(Fields in, Batch batch) {
    if (forEach.isEmpty()) {
      in.problem("batch", ": only a forEach source calls once per item; add \"forEach\" (e.g. \"ids\") or remove batch");
    }
    if (upstream.isEmpty()) {
      in.problem("batch", ": a SQL source is not batched; read every item in one query instead (e.g. WHERE id = ANY($1)) "
          + "or remove batch");
    }
    boolean readsItem = allTemplates().stream().flatMap(t -> t.parts().stream())
        .anyMatch(p -> !p.isLiteral() && p.source().isEmpty() && p.parameter().equals(as));
    if (forEach.isPresent() && readsItem) {
      in.problem("batch", ": the source's path, query, headers or body read {" + as + "}, the item, but one batch call "
          + "carries up to " + batch.max() + " items in ?" + batch.param() + "=; make the path the batch endpoint, "
          + "e.g. \"path\": \"/users\"");
    }
    if (queryParams.containsKey(batch.param()) || path.text().matches(".*[?&]" + java.util.regex.Pattern.quote(batch.param())
        + "=.*")) {
      in.problem("batch", ".param = \"" + batch.param() + "\": the source already sends a query parameter of that name; "
          + "gather sets it to the items");
    }
  }

  SourceConfig(String name, Optional<String> upstream, String method, Template path, Optional<String> query,
      List<Template> params, boolean required, Optional<Template.Part> forEach, String as, Optional<BodyTemplate> body,
      Map<String, Template> headers, Map<String, List<Template>> queryParams, List<String> forwardQuery, int timeoutMs,
      List<Integer> passStatus, boolean one, Optional<Selection> select, Optional<Expr> when,
      Optional<JsonNode> fallback, Optional<Batch> batch, int maxItems, Optional<CachePolicy> cache) {
    this(name, upstream, method, path, query, params, required, forEach, as,
        dependencies(path, params, forEach, templates(body, headers, queryParams)), body, headers, queryParams,
        forwardQuery, timeoutMs, passStatus, one, select, when, fallback, batch, maxItems, cache);
  }

  SourceConfig(String name, Optional<String> upstream, String method, Template path, Optional<String> query,
      List<Template> params, boolean required, Optional<Template.Part> forEach, String as) {
    this(name, upstream, method, path, query, params, required, forEach, as, Optional.empty(), Map.of(), Map.of(),
        List.of(), UPSTREAM_TIMEOUT, List.of(), false, Optional.empty(), Optional.empty(), Optional.empty(),
        Optional.empty(), DEFAULT_MAX_ITEMS, Optional.empty());
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
    return !dependencies(path, params, forEach, templates(body, headers, queryParams)).contains(dependency);
  }

  /** This source with {@code more} sources to wait for (those its {@code when} reads). */
  SourceConfig withDependencies(Set<String> more) {
    if (dependencies.containsAll(more)) {
      return this;
    }
    Set<String> all = new LinkedHashSet<>(dependencies);
    all.addAll(more);
    return new SourceConfig(name, upstream, method, path, query, params, required, forEach, as,
        Collections.unmodifiableSet(all), body, headers, queryParams, forwardQuery, timeoutMs, passStatus, one, select,
        when, fallback, batch, maxItems, cache);
  }

  private static List<Template> templates(Optional<BodyTemplate> body, Map<String, Template> headers,
      Map<String, List<Template>> queryParams) {
    List<Template> all = new ArrayList<>(headers.values());
    body.ifPresent(b -> all.addAll(b.templates()));
    queryParams.values().forEach(all::addAll);
    return all;
  }

  private static Set<String> dependencies(Template path, List<Template> params, Optional<Template.Part> forEach,
      List<Template> more) {
    Set<String> sources = new LinkedHashSet<>(path.sources());
    params.forEach(p -> sources.addAll(p.sources()));
    more.forEach(t -> sources.addAll(t.sources()));
    forEach.filter(Template.Part::readsSource).flatMap(Template.Part::source).ifPresent(sources::add);
    return Collections.unmodifiableSet(sources);
  }

  /** Every template of this source: path, SQL parameters, body, headers and query. */
  public List<Template> allTemplates() {
    List<Template> all = new ArrayList<>(params);
    all.add(path);
    all.addAll(templates(body, headers, queryParams));
    return all;
  }

  /** Every template the source renders per call: what the request must carry (parameters, body, headers). */
  public List<Template> templates() {
    return allTemplates();
  }

  /** Whether some template of this source reads the client's body. */
  public boolean readsBody() {
    return allTemplates().stream().anyMatch(Template::readsBody);
  }
}
