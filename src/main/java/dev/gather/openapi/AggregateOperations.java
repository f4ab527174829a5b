package dev.gather.openapi;

import dev.gather.config.AggregateConfig;
import dev.gather.config.AuthConfig;
import dev.gather.config.AuthPolicy;
import dev.gather.config.Rate;
import dev.gather.config.RateLimitConfig;
import dev.gather.config.RouteGroup;
import dev.gather.config.SelectableFields;
import dev.gather.config.SourceConfig;
import dev.gather.config.Template;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One OpenAPI operation per declared aggregate, worked out from its config alone: the route's method and path
 * parameters, the query and header parameters its templates read, a request body when a template reads
 * {@code body}, the envelope (or, with {@code envelope: false}, the bare data) and the statuses it can answer,
 * 429 (and 503 when the limiter fails closed) among them when the running config limits its rate.
 */
public final class AggregateOperations {
  private static final Pattern ROUTE_PARAMETER = Pattern.compile(":([A-Za-z0-9_]+)");
  private static final String PROBLEM = "#/components/responses/Problem";
  private static final String PROBLEM_RETRY_AFTER = "#/components/responses/ProblemRetryAfter";
  private static final String BODY = "body";
  private static final String HEADER = "header";

  private AggregateOperations() {}

  /** The path items, keyed by OpenAPI path ({@code /aggregate/x/{id}}), in path and method order. */
  public static JsonObject pathItems(Collection<AggregateConfig> aggregates) {
    return pathItems(aggregates, AuthConfig.OPEN, new RateLimitConfig(Optional.empty(), "", true, 1, 1, Map.of()));
  }

  /**
   * The path items, each operation with the security its policy under {@code auth} asks for and the answers of the
   * rate limit it is under (its own, else its group's).
   */
  public static JsonObject pathItems(Collection<AggregateConfig> aggregates, AuthConfig auth,
      RateLimitConfig rateLimit) {
    OperationSecurity security = new OperationSecurity(auth);
    JsonObject paths = new JsonObject();
    Set<String> operationIds = new java.util.HashSet<>();
    aggregates.stream()
        .sorted(Comparator.comparing(AggregateConfig::path).thenComparing(AggregateConfig::method))
        .forEach(aggregate -> {
          String path = openApiPath(aggregate.path());
          JsonObject item = paths.getJsonObject(path);
          if (item == null) {
            item = new JsonObject();
            paths.put(path, item);
          }
          JsonObject operation = operation(aggregate, operationIds, rateLimit);
          if (security.applies()) {
            secure(operation, aggregate, security);
          }
          item.put(aggregate.method().toLowerCase(Locale.ROOT), operation);
        });
    return paths;
  }

  /** Vert.x writes {@code /aggregate/x/:id}; OpenAPI writes {@code /aggregate/x/{id}}. */
  public static String openApiPath(String routePath) {
    return ROUTE_PARAMETER.matcher(routePath).replaceAll("{$1}");
  }

  private static void secure(JsonObject operation, AggregateConfig aggregate, OperationSecurity security) {
    AuthPolicy policy = security.policy(aggregate);
    operation.put("security", security.requirement(policy));
    JsonObject responses = operation.getJsonObject("responses");
    security.responses(policy, !aggregate.claimsRead().isEmpty()).forEach(entry -> {
      if (!responses.containsKey(entry.getKey())) {
        responses.put(entry.getKey(), entry.getValue());
      }
    });
    if (!policy.claims().isEmpty() || !aggregate.claimsRead().isEmpty()) {
      StringBuilder needs = new StringBuilder(operation.getString("description")).append("\nCredentials must carry");
      policy.claims().forEach((claim, value) -> needs.append(" the claim `").append(claim).append("` = `").append(value)
          .append("`,"));
      aggregate.claimsRead().forEach(claim -> needs.append(" the claim `").append(claim).append("`,"));
      needs.setLength(needs.length() - 1);
      operation.put("description", needs.append(" (a token; an API key has no claims).\n").toString());
    }
  }

  private static JsonObject operation(AggregateConfig aggregate, Set<String> operationIds, RateLimitConfig rateLimit) {
    String operationId = operationId(aggregate);
    // Names that differ only in punctuation (a-b, a_b) would share an id, which OpenAPI forbids.
    for (int n = 2; !operationIds.add(operationId); n++) {
      operationId = operationId(aggregate) + n;
    }
    JsonObject operation = new JsonObject()
        .put("operationId", operationId)
        .put("summary", "Aggregate " + aggregate.name() + ": " + String.join(", ", sourceNames(aggregate)))
        .put("description", description(aggregate))
        .put("parameters", parameters(aggregate));
    if (aggregate.readsBody()) {
      operation.put("requestBody", new JsonObject()
          .put("required", true)
          .put("description", "A JSON value; the sources' templates read it as {body} and {body.field}")
          .put("content", new JsonObject().put("application/json", new JsonObject().put("schema", new JsonObject()))));
    }
    Optional<Rate> rate = aggregate.rate().or(() -> Optional.ofNullable(rateLimit.routes().get(RouteGroup.AGGREGATES)));
    JsonObject responses = responses(aggregate);
    rate.ifPresent(limit -> limited(responses, !rateLimit.failOpen()));
    return operation.put("responses", responses);
  }

  private static String operationId(AggregateConfig aggregate) {
    StringBuilder id = new StringBuilder("aggregate");
    boolean upper = true;
    for (char c : aggregate.name().toCharArray()) {
      if (Character.isLetterOrDigit(c)) {
        id.append(upper ? Character.toUpperCase(c) : c);
        upper = false;
      } else {
        upper = true;
      }
    }
    if (!aggregate.method().equals("GET")) {
      id.append(aggregate.method().charAt(0)).append(aggregate.method().substring(1).toLowerCase(Locale.ROOT));
    }
    return id.toString();
  }

  private static List<String> sourceNames(AggregateConfig aggregate) {
    return aggregate.sources().stream().map(SourceConfig::name).toList();
  }

  private static String description(AggregateConfig aggregate) {
    StringBuilder text = new StringBuilder("Declared in config as `aggregates.").append(aggregate.name())
        .append("`. Every source starts as soon as the sources it reads have answered, and all of them share a ")
        .append(aggregate.deadlineMs()).append(" ms deadline.\n\n");
    for (SourceConfig source : aggregate.sources()) {
      text.append("- `").append(source.name()).append("`: ").append(call(source))
          .append(source.required() ? ", required" : ", optional");
      if (!source.dependencies().isEmpty()) {
        text.append(", after ").append(String.join(", ", source.dependencies()));
      }
      if (!source.passStatus().isEmpty()) {
        text.append("; when it answers ").append(source.passStatus()).append(", so does the aggregate");
      }
      text.append('\n');
    }
    return text.toString();
  }

  private static String call(SourceConfig source) {
    String what = source.upstream().map(u -> source.method() + " " + u + " " + source.path().text())
        .orElseGet(() -> "query " + source.query().orElse("?"));
    if (source.forEach().isEmpty()) {
      return what;
    }
    return source.batch().map(b -> what + "?" + b.param() + "=… for up to " + b.max() + " items at a time of "
        + reference(source.forEach().get())).orElse(what + " for each item of " + reference(source.forEach().get()))
        + " (at most " + source.maxItems() + " items)";
  }

  private static String reference(Template.Part part) {
    return part.source().map(s -> s + "." + String.join(".", part.path())).orElse(part.parameter());
  }

  /** Path parameters from the route, then header and query parameters from the templates, then {@code mode}. */
  private static JsonArray parameters(AggregateConfig aggregate) {
    Set<String> pathParameters = new LinkedHashSet<>();
    Matcher route = ROUTE_PARAMETER.matcher(aggregate.path());
    while (route.find()) {
      pathParameters.add(route.group(1));
    }
    Map<String, Reader> query = new LinkedHashMap<>();
    Map<String, Reader> headers = new LinkedHashMap<>();
    for (SourceConfig source : aggregate.sources()) {
      for (Template template : source.templates()) {
        for (Template.Part part : template.parts()) {
          if (part.isLiteral()) {
            continue;
          }
          if (part.source().filter(HEADER::equals).isPresent()) {
            read(headers, String.join(".", part.path()), source);
          } else if (part.source().isEmpty() && !pathParameters.contains(part.parameter())
              && !part.parameter().equals(BODY) && !isForEachItem(source, part)) {
            read(query, part.parameter(), source);
          }
        }
      }
      source.forEach().filter(f -> f.source().isEmpty() && !pathParameters.contains(f.parameter()))
          .ifPresent(f -> read(query, f.parameter(), source).list = source.maxItems());
    }

    JsonArray parameters = new JsonArray();
    pathParameters.forEach(name -> parameters.add(new JsonObject().put("name", name).put("in", "path")
        .put("required", true).put("schema", new JsonObject().put("type", "string"))));
    headers.forEach((name, reader) -> parameters.add(parameter(name, "header", reader)));
    query.forEach((name, reader) -> parameters.add(parameter(name, "query", reader)));
    aggregate.fields().ifPresent(fields -> parameters.add(fieldsParameter(fields)));
    if (query.containsKey("mode")) {
      return parameters; // the templates' own mode parameter shadows the run mode's
    }
    parameters.add(new JsonObject().put("name", "mode").put("in", "query").put("required", false)
        .put("description", "`sequential` runs the sources one after another, to compare with the default")
        .put("schema", new JsonObject().put("type", "string").put("enum", new JsonArray().add("concurrent")
            .add("sequential")).put("default", "concurrent")));
    return parameters;
  }

  /**
   * {@code ?fields=a.b,c}: a comma-separated list (form style, not exploded) of the allow-listed paths; the
   * config check keeps any template from reading a parameter of that name.
   */
  private static JsonObject fieldsParameter(SelectableFields fields) {
    return new JsonObject().put("name", SelectableFields.PARAMETER).put("in", "query").put("required", false)
        .put("description", "Comma-separated fields of `data` to answer, e.g. `"
            + String.join(",", fields.allowed().stream().limit(2).toList())
            + "`; the sources no selected field needs are not run (they are `skipped` and `pruned` in `sources`), "
            + "required sources always run. A field not listed here is 400.")
        .put("style", "form").put("explode", false)
        .put("schema", new JsonObject().put("type", "array").put("minItems", 1).put("uniqueItems", true)
            .put("items", new JsonObject().put("type", "string").put("enum", new JsonArray(List.copyOf(fields.allowed())))));
  }

  private static boolean isForEachItem(SourceConfig source, Template.Part part) {
    return source.forEach().isPresent() && part.parameter().equals(source.as());
  }

  /** Who reads a parameter: a required reader makes it required, since without it the answer is 400. */
  private static final class Reader {
    final Set<String> sources = new TreeSet<>();
    boolean required;
    /** For a forEach's list: its maxItems; 0 for a single value. */
    int list;
  }

  private static Reader read(Map<String, Reader> readers, String name, SourceConfig source) {
    Reader reader = readers.computeIfAbsent(name, n -> new Reader());
    reader.sources.add(source.name());
    reader.required |= source.required();
    return reader;
  }

  private static JsonObject parameter(String name, String in, Reader reader) {
    String description = "Read by " + String.join(", ", reader.sources)
        + (reader.list > 0 ? "; a comma-separated list of at most " + reader.list + " items (400 beyond it)" : "")
        + (reader.required ? "" : "; without it, they fail with missing_parameter and the answer is incomplete");
    return new JsonObject().put("name", name).put("in", in).put("required", reader.required)
        .put("description", description).put("schema", new JsonObject().put("type", "string"));
  }

  private static JsonObject responses(AggregateConfig aggregate) {
    JsonObject responses = new JsonObject().put("200", aggregate.envelope() ? envelope(aggregate) : plain());
    responses.put("400", ref(PROBLEM));
    Set<Integer> passed = new TreeSet<>();
    aggregate.sources().stream().filter(SourceConfig::required).forEach(s -> passed.addAll(s.passStatus()));
    // A required one-row SQL source with no row is the aggregate's 404, as passStatus [404] would make it.
    aggregate.sources().stream().filter(s -> s.required() && s.one()).findAny().ifPresent(s -> passed.add(404));
    passed.forEach(status -> responses.put(String.valueOf(status), ref(PROBLEM)));
    if (aggregate.readsBody()) {
      responses.put("413", ref(PROBLEM));
    }
    if (aggregate.sources().stream().anyMatch(SourceConfig::required)) {
      responses.put("502", ref(PROBLEM));
      responses.put("503", ref(PROBLEM_RETRY_AFTER));
      responses.put("504", ref(PROBLEM));
    }
    return responses;
  }

  /**
   * A limited route's answers: every one carries the policy and what is left of it (the 200's headers say so),
   * one over the limit is 429, and one the limiter's store could not judge in time is 503 when it fails closed
   * (the 503 a required source can give already has the same shape, so it is kept).
   */
  private static void limited(JsonObject responses, boolean failClosed) {
    JsonObject ok = responses.getJsonObject("200");
    ok.getJsonObject("headers")
        .put("RateLimit-Policy", ref("#/components/headers/RateLimit-Policy"))
        .put("RateLimit", ref("#/components/headers/RateLimit"));
    responses.put("429", ref(RateLimitedRoutes.RATE_LIMITED));
    if (failClosed && !responses.containsKey("503")) {
      responses.put("503", ref(RateLimitedRoutes.LIMITER_UNAVAILABLE));
    }
    // Status order, as the rest of the document lists them.
    JsonObject sorted = new JsonObject();
    responses.fieldNames().stream().sorted().toList().forEach(status -> sorted.put(status, responses.getValue(status)));
    responses.clear();
    responses.mergeIn(sorted);
  }

  private static JsonObject envelope(AggregateConfig aggregate) {
    JsonObject data = new JsonObject();
    JsonObject errors = new JsonObject();
    JsonObject sources = new JsonObject();
    for (SourceConfig source : aggregate.sources()) {
      data.put(source.name(), new JsonObject().put("description", "What " + call(source) + " answered"));
      errors.put(source.name(), ref("#/components/schemas/SourceError"));
      sources.put(source.name(), ref("#/components/schemas/SourceOutcome"));
    }
    JsonObject schema = new JsonObject()
        .put("type", "object")
        .put("required", new JsonArray().add("data").add("errors").add("sources").add("complete"))
        .put("properties", new JsonObject()
            .put("data", aggregate.shape().isPresent()
                // A shape's result can be any JSON; its expressions say what, not a schema.
                ? new JsonObject().put("description", "The data built by the aggregate's shape from its sources'")
                : new JsonObject().put("type", "object")
                    .put("description", "Each source's data under its name; a failed or skipped source is absent")
                    .put("properties", data))
            .put("errors", new JsonObject().put("type", "object")
                .put("description", "Why each failed source failed").put("properties", errors))
            .put("sources", new JsonObject().put("type", "object")
                .put("required", new JsonArray(new ArrayList<>(sourceNames(aggregate)))).put("properties", sources))
            .put("complete", new JsonObject().put("type", "boolean")
                .put("description", "true when every source succeeded")));
    return new JsonObject()
        .put("description", "The envelope; 200 whenever every required source succeeded")
        .put("headers", headers(false))
        .put("content", new JsonObject().put("application/json", new JsonObject().put("schema", schema)));
  }

  private static JsonObject plain() {
    return new JsonObject()
        .put("description", "The data alone; each source's outcome is in the headers")
        .put("headers", headers(true))
        .put("content", new JsonObject().put("application/json", new JsonObject().put("schema", new JsonObject())));
  }

  private static JsonObject headers(boolean errors) {
    JsonObject headers = new JsonObject()
        .put("X-Gather-Complete", new JsonObject().put("description", "true when every source succeeded")
            .put("schema", new JsonObject().put("type", "string").put("enum", new JsonArray().add("true").add("false"))))
        .put("Server-Timing", new JsonObject().put("description", "Each source's duration, e.g. profile;dur=12")
            .put("schema", new JsonObject().put("type", "string")));
    if (errors) {
      headers.put("X-Gather-Errors", new JsonObject()
          .put("description", "The failed sources and their kinds, e.g. profile=timeout, orders=bad_status")
          .put("schema", new JsonObject().put("type", "string")));
    }
    return headers;
  }

  private static JsonObject ref(String target) {
    return new JsonObject().put("$ref", target);
  }
}
