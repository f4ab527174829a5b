package dev.gather.config;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Who may use a route group or an aggregate: nobody needs credentials ({@code none}), credentials are checked when
 * sent ({@code optional}), or they must be sent ({@code required}); with the scopes and claim values they must carry.
 */
public record AuthPolicy(Mode mode, Set<String> scopes, Map<String, String> claims) {
  public static final AuthPolicy NONE = new AuthPolicy(Mode.NONE, Set.of(), Map.of());
  static final Set<String> KEYS = Set.of("policy", "scopes", "claims");

  public enum Mode {
    NONE, OPTIONAL, REQUIRED;

    String key() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** Whether credentials beyond "some valid ones" are asked for. */
  public boolean restricts() {
    return !scopes.isEmpty() || !claims.isEmpty();
  }

  static AuthPolicy parse(String key, io.vertx.core.json.JsonObject json, List<String> problems) {
    Fields in = new Fields(key, json, problems);
    in.rejectUnknown(KEYS);
    String policy = in.text("policy").orElse("none").toLowerCase(Locale.ROOT);
    Mode mode = Mode.NONE;
    switch (policy) {
      case "none" -> mode = Mode.NONE;
      case "optional" -> mode = Mode.OPTIONAL;
      case "required" -> mode = Mode.REQUIRED;
      default -> in.problem("policy", " = \"" + policy + "\": use required, optional or none");
    }
    Set<String> scopes = Set.copyOf(in.texts("scopes"));
    Map<String, String> claims = new java.util.LinkedHashMap<>();
    in.object("claims").ifPresent(object -> object.forEach(entry -> {
      if (entry.getValue() instanceof String value) {
        claims.put(entry.getKey(), value);
      } else {
        problems.add(in.key("claims") + "." + entry.getKey() + " = " + entry.getValue()
            + ": expected the claim's required value as a string, e.g. \"acme\"");
      }
    }));
    if (mode != Mode.REQUIRED && (!scopes.isEmpty() || !claims.isEmpty())) {
      in.problem("policy", " = \"" + policy + "\": scopes and claims are only checked when the policy is \"required\"; "
          + "set \"policy\": \"required\" or drop them");
    }
    return new AuthPolicy(mode, scopes, Map.copyOf(claims));
  }
}
