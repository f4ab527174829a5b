package dev.gather.openapi;

import dev.gather.config.AggregateConfig;
import dev.gather.config.AuthConfig;
import dev.gather.config.AuthPolicy;
import dev.gather.config.RouteGroup;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Each operation's {@code security} and the answers its policy adds (401, 403, 503), from the running config: the
 * schemes stay declared in {@code openapi.yaml}, but which operation needs which credentials is configuration
 * ({@code auth.routes}, {@code aggregates.<name>.auth}), so it is written into the served document here. With no
 * credentials configured the document is left as written (its top-level security already allows none).
 */
final class OperationSecurity {
  static final String BEARER = "bearerAuth";
  static final String API_KEY = "apiKeyAuth";
  private static final String PROBLEM = "#/components/responses/Problem";
  private static final String PROBLEM_RETRY_AFTER = "#/components/responses/ProblemRetryAfter";
  private static final Pattern PATH = Pattern.compile("^  (/\\S*):\\s*$");
  private static final Pattern METHOD = Pattern.compile("^    (get|put|post|delete|patch|head|options):\\s*$");
  private static final Pattern RESPONSE = Pattern.compile("^        '?(\\d{3}|default)'?:");

  private final AuthConfig auth;

  OperationSecurity(AuthConfig auth) {
    this.auth = auth;
  }

  boolean applies() {
    return auth.anyCredentials();
  }

  /** The group a hand-written path belongs to, as ApiRouter files it. */
  static Optional<RouteGroup> group(String path) {
    if (path.equals("/")) {
      return Optional.of(RouteGroup.INFO);
    }
    String first = path.substring(1).split("/", 2)[0];
    return switch (first) {
      case "health" -> Optional.of(RouteGroup.HEALTH);
      case "metrics" -> Optional.of(RouteGroup.METRICS);
      case "openapi.yaml", "docs" -> Optional.of(RouteGroup.DOCS);
      case "users" -> Optional.of(RouteGroup.USERS);
      case "jobs" -> Optional.of(RouteGroup.JOBS);
      case "compute" -> Optional.of(RouteGroup.COMPUTE);
      case "proxy" -> Optional.of(RouteGroup.PROXY);
      case "admin" -> Optional.of(RouteGroup.ADMIN);
      // The console's page and assets are code, filed with the docs; its data is the console group's.
      case "console" -> Optional.of(path.startsWith("/console/api/") ? RouteGroup.CONSOLE : RouteGroup.DOCS);
      case "aggregate" -> Optional.of(RouteGroup.AGGREGATES);
      default -> Optional.empty();
    };
  }

  /** An aggregate's policy: its own, else its group's (as the guard decides). */
  AuthPolicy policy(AggregateConfig aggregate) {
    return aggregate.auth().orElse(auth.policy(RouteGroup.AGGREGATES));
  }

  /**
   * OpenAPI's security requirement: none ({@code []}), any or none ({@code {}} first), or one of the configured
   * schemes with the policy's scopes (OpenAPI 3.1 lets non-OAuth schemes list the roles they need).
   */
  JsonArray requirement(AuthPolicy policy) {
    JsonArray requirement = new JsonArray();
    if (policy.mode() == AuthPolicy.Mode.NONE) {
      return requirement;
    }
    if (policy.mode() == AuthPolicy.Mode.OPTIONAL) {
      requirement.add(new JsonObject());
    }
    JsonArray scopes = new JsonArray(new ArrayList<>(new TreeSet<>(policy.scopes())));
    if (auth.jwt().isPresent()) {
      requirement.add(new JsonObject().put(BEARER, scopes));
    }
    if (!auth.apiKeys().isEmpty()) {
      requirement.add(new JsonObject().put(API_KEY, scopes.copy()));
    }
    return requirement;
  }

  /** The answers a policy adds: 401, 403 when something beyond valid credentials is asked, 503 while no JWKS key. */
  JsonObject responses(AuthPolicy policy, boolean readsClaims) {
    JsonObject responses = new JsonObject();
    if (policy.mode() == AuthPolicy.Mode.NONE) {
      return responses;
    }
    responses.put("401", ref(PROBLEM));
    if (policy.mode() == AuthPolicy.Mode.REQUIRED && (policy.restricts() || readsClaims)) {
      responses.put("403", ref(PROBLEM));
    }
    if (auth.jwt().flatMap(jwt -> jwt.jwksUrl()).isPresent()) {
      responses.put("503", ref(PROBLEM_RETRY_AFTER));
    }
    return responses;
  }

  /**
   * The hand-written paths with each operation's security written in after its method line, and the answers its
   * policy adds written in after its {@code responses:} line (those it lists already are left alone).
   */
  String handWritten(String paths) {
    String[] lines = paths.split("\n", -1);
    List<String> out = new ArrayList<>();
    Optional<RouteGroup> group = Optional.empty();
    int i = 0;
    while (i < lines.length) {
      String line = lines[i++];
      out.add(line);
      Matcher path = PATH.matcher(line);
      if (path.matches()) {
        group = group(path.group(1));
        continue;
      }
      if (group.isEmpty() || !METHOD.matcher(line).matches()) {
        continue;
      }
      AuthPolicy policy = auth.policy(group.get());
      add(out, YamlWriter.write(new JsonObject().put("security", requirement(policy)), 6));
      JsonObject added = responses(policy, false);
      int end = i;
      while (end < lines.length && (lines[end].startsWith("      ") || lines[end].isBlank())) {
        Matcher listed = RESPONSE.matcher(lines[end]);
        if (listed.find()) {
          added.remove(listed.group(1));
        }
        end++;
      }
      for (; i < end; i++) {
        out.add(lines[i]);
        if (!added.isEmpty() && lines[i].equals("      responses:")) {
          add(out, YamlWriter.write(added, 8));
        }
      }
    }
    return String.join("\n", out);
  }

  private static void add(List<String> out, String yaml) {
    out.addAll(List.of(yaml.stripTrailing().split("\n")));
  }

  private static JsonObject ref(String target) {
    return new JsonObject().put("$ref", target);
  }
}
