package dev.gather.config;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What an upstream source sends besides its method and path: a JSON body, headers, query parameters (templated
 * or passed through from the client) and a timeout of its own. Read here so that {@link SourceConfig} stays
 * about what a source is; a SQL source may have none of it.
 */
record Requests(Optional<BodyTemplate> body, Map<String, Template> headers, Map<String, List<Template>> query,
    List<String> forwardQuery, int timeoutMs) {

  private static final Set<String> BODYLESS = Set.of("GET", "HEAD");
  /** RFC 9110 token: what a header name may be made of. */
  private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");
  /** Set by gather itself on every call; a source may not replace them. */
  private static final Set<String> OWN_HEADERS = Set.of("x-request-id", "x-gather-deadline-ms", "content-type",
      "content-length", "host", "transfer-encoding", "connection");

  static Requests parse(Fields in, JsonObject json, JsonObject urlQuery, boolean upstream, String method,
      List<String> problems) {
    if (!upstream) {
      for (String key : new String[] {"body", "headers", "forwardQuery", "timeoutMs"}) {
        if (json.containsKey(key)) {
          in.problem(key, ": only an upstream source sends a request; remove it from this SQL source");
        }
      }
      return new Requests(Optional.empty(), Map.of(), Map.of(), List.of(), SourceConfig.UPSTREAM_TIMEOUT);
    }
    Optional<BodyTemplate> body = Optional.empty();
    if (json.getValue("body") != null) {
      if (BODYLESS.contains(method)) {
        in.problem("body", ": a " + method + " request has no body; set \"method\": \"POST\" (or PUT, PATCH, DELETE)"
            + " or remove body");
      }
      body = Optional.of(BodyTemplate.parse(in.key("body"), json.getValue("body"), problems));
    }
    Map<String, Template> headers = new LinkedHashMap<>();
    in.object("headers").ifPresent(declared -> declared.forEach(e -> {
      String key = in.key("headers") + "." + e.getKey();
      if (!TOKEN.matcher(e.getKey()).matches()) {
        problems.add(key + ": not a header name; use letters, digits and dashes, e.g. \"X-Tenant\"");
      } else if (OWN_HEADERS.contains(e.getKey().toLowerCase(java.util.Locale.ROOT))) {
        problems.add(key + ": gather sets this header itself; remove it");
      } else if (!(e.getValue() instanceof String text)) {
        problems.add(key + " = " + e.getValue() + ": expected a string (static, or a template like \"{header.X-Tenant}\")");
      } else {
        headers.put(e.getKey(), Template.parse(key, text, problems));
      }
    }));
    Map<String, List<Template>> query = new LinkedHashMap<>();
    if (urlQuery != null) {
      urlQuery.forEach(e -> {
        String key = in.key("query") + "." + e.getKey();
        List<Template> values = new ArrayList<>();
        if (e.getValue() instanceof String text) {
          values.add(Template.parse(key, text, problems));
        } else if (e.getValue() instanceof JsonArray list && list.stream().allMatch(String.class::isInstance)) {
          list.forEach(text -> values.add(Template.parse(key, (String) text, problems)));
        } else {
          problems.add(key + " = " + e.getValue() + ": expected a string or a list of strings, e.g. \"{page}\"");
        }
        query.put(e.getKey(), List.copyOf(values));
      });
    }
    List<String> forwardQuery = List.copyOf(in.texts("forwardQuery"));
    int timeoutMs = in.integer("timeoutMs", SourceConfig.UPSTREAM_TIMEOUT, 1, 86_400_000);
    return new Requests(body, java.util.Collections.unmodifiableMap(headers), java.util.Collections.unmodifiableMap(query), forwardQuery,
        timeoutMs);
  }
}
