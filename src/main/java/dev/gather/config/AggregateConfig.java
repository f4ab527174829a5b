package dev.gather.config;

import dev.gather.shape.Shape;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A declared aggregate: the route it answers (path and {@code method}), the deadline of the whole request, its
 * sources in dependency order (every source comes after the sources it needs), and whether the answer is the
 * envelope or the data alone ({@code envelope}); {@code shape} builds the answer's data from every source's; {@code rate}
 * is its own per-client rate limit, in place of the aggregates group's; {@code fields} lists what a client may
 * select with {@code ?fields=} (and so which sources such a request can leave out); {@code cacheControl} is what
 * its complete answers tell clients and caches (normalised {@code Cache-Control} value; empty: nothing is said).
 */
public record AggregateConfig(String name, String path, int deadlineMs, List<SourceConfig> sources, String method,
    boolean envelope, Optional<Shape> shape, Optional<Rate> rate, Optional<AuthPolicy> auth,
    Optional<SelectableFields> fields, Optional<String> cacheControl) {
  public static final String PATH_PREFIX = "/aggregate/";
  static final Set<String> KEYS = Set.of("path", "deadlineMs", "sources", "method", "envelope", "shape",
      "rate", "auth", "fields", "cacheControl");
  private static final List<String> METHODS = List.of("GET", "POST", "PUT", "PATCH", "DELETE");
  /** Names an expression or template reads from the request, so no source may take them. */
  public static final Set<String> RESERVED = Set.of("params", "body", "header", "jwt", "query");

  public AggregateConfig(String name, String path, int deadlineMs, List<SourceConfig> sources) {
    this(name, path, deadlineMs, sources, "GET", true, Optional.empty(), Optional.empty(), Optional.empty(),
        Optional.empty(), Optional.empty());
  }

  public AggregateConfig(String name, String path, int deadlineMs, List<SourceConfig> sources, String method,
      boolean envelope, Optional<Shape> shape, Optional<Rate> rate, Optional<AuthPolicy> auth) {
    this(name, path, deadlineMs, sources, method, envelope, shape, rate, auth, Optional.empty(), Optional.empty());
  }

  /**
   * Whether some template, {@code when} or the {@code shape} reads the client's body, so the route reads it (up to
   * http.maxBodyBytes). Expressions are scanned by name, so one that merely mentions {@code body} also reads it.
   */
  public boolean readsBody() {
    return sources.stream().anyMatch(s -> s.readsBody() || s.when().map(w -> w.names().contains("body")).orElse(false))
        || shape.map(s -> s.names().contains("body")).orElse(false);
  }

  /** The client headers its templates name: the only ones a template can read. */
  public Set<String> headersRead() {
    Set<String> headers = new java.util.TreeSet<>(String.CASE_INSENSITIVE_ORDER);
    sources.forEach(s -> s.allTemplates().forEach(t -> headers.addAll(t.headers())));
    return headers;
  }

  /** The token claims its templates read ({@code {jwt.sub}}): a caller must bring each. */
  public Set<String> claimsRead() {
    Set<String> claims = new java.util.TreeSet<>();
    sources.forEach(s -> s.allTemplates().forEach(t -> claims.addAll(t.claims())));
    return claims;
  }

  static AggregateConfig parse(String name, JsonObject json, Map<String, UpstreamConfig> upstreams,
      Set<String> queries, List<String> problems) {
    String key = "aggregates." + name;
    Fields in = new Fields(key, json, problems);
    in.rejectUnknown(KEYS);
    String path = in.text("path").orElse(PATH_PREFIX + name);
    if (!path.startsWith(PATH_PREFIX)) {
      in.problem("path", " = \"" + path + "\": must start with " + PATH_PREFIX + ", e.g. \"" + PATH_PREFIX + name
          + "/:userId\"");
    }
    int deadlineMs = in.integer("deadlineMs", 2000, 1, 600_000);
    String method = in.text("method").map(m -> m.toUpperCase(java.util.Locale.ROOT)).orElse("GET");
    if (!METHODS.contains(method)) {
      in.problem("method", " = \"" + method + "\": use one of " + String.join(", ", METHODS));
    }
    boolean envelope = in.bool("envelope", true);

    Map<String, SourceConfig> sources = new LinkedHashMap<>();
    JsonObject declared = in.object("sources").orElse(new JsonObject());
    if (declared.isEmpty()) {
      in.problem("sources", ": missing or empty; declare at least one source");
    }
    for (String source : declared.fieldNames()) {
      String sourceKey = key + ".sources." + source;
      if (!(declared.getValue(source) instanceof JsonObject sourceJson)) {
        problems.add(sourceKey + ": expected an object {...}");
        continue;
      }
      if (RESERVED.contains(source)) {
        problems.add(sourceKey + ": \"" + source + "\" is reserved (templates and expressions read the request "
            + "under it); rename the source, e.g. \"" + source + "Source\"");
      }
      Optional<CacheConfig> upstreamCache = sourceJson.getValue("upstream") instanceof String upstream
          && upstreams.containsKey(upstream) ? upstreams.get(upstream).cache() : Optional.empty();
      SourceConfig parsed = SourceConfig.parse(sourceKey, source, sourceJson, upstreamCache, problems);
      parsed.upstream().map(upstreams::get).filter(u -> parsed.timeoutMs() > u.timeoutMs()).ifPresent(u ->
          problems.add(sourceKey + ".timeoutMs = " + parsed.timeoutMs() + ": more than upstream " + u.name()
              + "'s timeoutMs (" + u.timeoutMs() + "); use at most " + u.timeoutMs()));
      if (method.equals("GET") && parsed.readsBody()) {
        problems.add(sourceKey + ": reads {body…} but the aggregate answers GET, which has no body; set "
            + "aggregates." + name + ".method to \"POST\" (or PUT, PATCH, DELETE)");
      }
      parsed.upstream().filter(u -> !upstreams.containsKey(u)).ifPresent(u -> problems.add(sourceKey
          + ".upstream = \"" + u + "\": no such upstream; declared upstreams are " + upstreams.keySet()));
      parsed.query().filter(q -> !queries.contains(q)).ifPresent(q -> problems.add(sourceKey
          + ".query = \"" + q + "\": no such query; declared queries are " + queries));
      sources.put(source, parsed);
    }
    // A when that names another source waits for it: it reads that source's data.
    sources.replaceAll((source, parsed) -> parsed.when().map(when -> parsed.withDependencies(
        when.names().stream().filter(n -> sources.containsKey(n) && !n.equals(source)).collect(Collectors.toSet())))
        .orElse(parsed));
    for (SourceConfig source : sources.values()) {
      for (String needed : source.dependencies()) {
        if (!sources.containsKey(needed)) {
          problems.add(key + ".sources." + source.name() + ": uses {" + needed + ".…} but the aggregate has no "
              + "source named " + needed + "; its sources are " + sources.keySet());
        }
      }
    }
    Optional<Shape> shape = json.containsKey("shape") ? Shape.parse(in.key("shape"), json.getValue("shape"), problems)
        : Optional.empty();
    Optional<Rate> rate = in.object("rate").flatMap(rateJson -> Rate.parse(in.key("rate"), rateJson, problems));
    Optional<AuthPolicy> auth = in.object("auth").map(policy -> AuthPolicy.parse(in.key("auth"), policy, problems));
    Optional<SelectableFields> fields = Optional.empty();
    if (json.containsKey("fields")) {
      fields = SelectableFields.parse(in.key("fields"), json.getValue("fields"), sources, shape, problems);
      SelectableFields.checkParameterFree(in.key("fields"), sources, problems);
    }
    boolean perCaller = sources.values().stream().anyMatch(s -> s.allTemplates().stream().anyMatch(t -> !t.claims().isEmpty()));
    Optional<String> cacheControl = CacheControl.parse(in, perCaller);
    return new AggregateConfig(name, path, deadlineMs, inDependencyOrder(key, sources, problems), method, envelope,
        shape, rate, auth, fields, cacheControl);
  }

  /** Kahn's algorithm: a cycle leaves sources unplaced, and they are named in the problem. */
  private static List<SourceConfig> inDependencyOrder(String key, Map<String, SourceConfig> sources,
      List<String> problems) {
    List<SourceConfig> ordered = new ArrayList<>();
    Set<String> placed = new HashSet<>();
    boolean progress = true;
    while (progress && ordered.size() < sources.size()) {
      progress = false;
      for (SourceConfig source : sources.values()) {
        if (!placed.contains(source.name()) && source.dependencies().stream()
            .allMatch(d -> placed.contains(d) || !sources.containsKey(d))) {
          ordered.add(source);
          placed.add(source.name());
          progress = true;
        }
      }
    }
    if (ordered.size() < sources.size()) {
      List<String> cycle = sources.keySet().stream().filter(s -> !placed.contains(s)).toList();
      problems.add(key + ".sources: dependency cycle among " + cycle + "; a source cannot wait for itself");
    }
    return List.copyOf(ordered);
  }
}
