package dev.gather.config;

import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Authentication: how tokens are verified ({@code jwt}, absent when no key is configured), the API keys of machine
 * clients, and the policy of each route group. Without an {@code auth} section every route is open.
 */
public record AuthConfig(Optional<JwtConfig> jwt, Map<String, ApiKeyConfig> apiKeys, Map<RouteGroup, AuthPolicy> routes) {
  public static final AuthConfig OPEN = new AuthConfig(Optional.empty(), Map.of(), Map.of());
  private static final Set<String> KEYS = Set.of("jwt", "apiKeys", "routes");
  private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");
  private static final int MIN_SECRET_BYTES = 32;

  /**
   * The policy of a group: health probes are always open; the console, unless it has one of its own, is guarded
   * like the operations routes ({@code admin}), since it shows what they do; any other unnamed group is open.
   */
  public AuthPolicy policy(RouteGroup group) {
    if (group == RouteGroup.HEALTH) {
      return AuthPolicy.NONE;
    }
    if (group == RouteGroup.CONSOLE && !routes.containsKey(RouteGroup.CONSOLE)) {
      return routes.getOrDefault(RouteGroup.ADMIN, AuthPolicy.NONE);
    }
    return routes.getOrDefault(group, AuthPolicy.NONE);
  }

  /** Whether any credential could be accepted. */
  public boolean anyCredentials() {
    return jwt.isPresent() || !apiKeys.isEmpty();
  }

  static AuthConfig parse(JsonObject tree, ConfigReader reader, List<String> problems) {
    Object section = tree.getValue("auth");
    if (section != null && !(section instanceof JsonObject)) {
      problems.add("auth = " + section + ": expected an object {\"jwt\": {...}, \"apiKeys\": {...}, \"routes\": {...}}");
      return OPEN;
    }
    JsonObject json = section == null ? new JsonObject() : (JsonObject) section;
    Fields in = new Fields("auth", json, problems);
    in.rejectUnknown(KEYS);
    Optional<JwtConfig> jwt = jwt(json, reader, problems);

    Map<String, ApiKeyConfig> apiKeys = new LinkedHashMap<>();
    in.object("apiKeys").ifPresent(keys -> keys.forEach(entry -> {
      String key = "auth.apiKeys." + entry.getKey();
      if (!(entry.getValue() instanceof JsonObject keyJson)) {
        problems.add(key + ": expected {\"sha256\": \"<hex of the key>\", \"scopes\": [...]}");
        return;
      }
      Fields apiKey = new Fields(key, keyJson, problems);
      apiKey.rejectUnknown(Set.of("sha256", "scopes"));
      String hash = apiKey.requiredText("sha256", "<64 hex digits: printf %s \"$KEY\" | sha256sum>")
          .toLowerCase(java.util.Locale.ROOT);
      if (!hash.isEmpty() && !SHA256_HEX.matcher(hash).matches()) {
        apiKey.problem("sha256", ": not a SHA-256 in hex (64 digits); compute it with printf %s \"$KEY\" | sha256sum");
      }
      apiKeys.put(entry.getKey(), new ApiKeyConfig(entry.getKey(), hash, Set.copyOf(apiKey.texts("scopes"))));
    }));

    Map<RouteGroup, AuthPolicy> routes = new EnumMap<>(RouteGroup.class);
    in.object("routes").ifPresent(groups -> groups.forEach(entry -> {
      String key = "auth.routes." + entry.getKey();
      Optional<RouteGroup> group = RouteGroup.byKey(entry.getKey());
      if (group.isEmpty()) {
        problems.add(key + ": no such route group; groups are info, metrics, docs, users, jobs, compute, aggregates, "
            + "proxy, admin, console");
      } else if (group.get() == RouteGroup.HEALTH) {
        problems.add(key + ": health probes are always open (the orchestrator sends no credentials); remove it");
      } else if (entry.getValue() instanceof JsonObject policy) {
        routes.put(group.get(), AuthPolicy.parse(key, policy, problems));
      } else {
        problems.add(key + ": expected {\"policy\": \"required\"}");
      }
    }));
    AuthConfig auth = new AuthConfig(jwt, Map.copyOf(apiKeys), Map.copyOf(routes));
    routes.forEach((group, policy) -> auth.checkSatisfiable("auth.routes." + group.key(), policy, problems));
    return auth;
  }

  /** A policy that asks for credentials when none are configured would lock everyone out. */
  void checkSatisfiable(String key, AuthPolicy policy, List<String> problems) {
    if (policy.mode() != AuthPolicy.Mode.NONE && !anyCredentials()) {
      problems.add(key + ".policy = \"" + policy.mode().key() + "\": no credentials are configured; set auth.jwt "
          + "(jwksUrl, publicKeys or secret) or auth.apiKeys, or use \"none\"");
    }
  }

  private static Optional<JwtConfig> jwt(JsonObject tree, ConfigReader in, List<String> problems) {
    String jwksUrl = in.text(ConfigKey.AUTH_JWT_JWKS_URL);
    List<String> publicKeys = in.texts(ConfigKey.AUTH_JWT_PUBLIC_KEYS);
    String secret = in.text(ConfigKey.AUTH_JWT_SECRET);
    long refreshMs = in.number(ConfigKey.AUTH_JWT_JWKS_REFRESH_MS, 1000, 86_400_000);
    long timeoutMs = in.number(ConfigKey.AUTH_JWT_JWKS_TIMEOUT_MS, 1, 60_000);
    long refetchMinMs = in.number(ConfigKey.AUTH_JWT_JWKS_REFETCH_MIN_MS, 0, 86_400_000);
    List<String> algorithms = in.texts(ConfigKey.AUTH_JWT_ALGORITHMS);
    String issuer = in.text(ConfigKey.AUTH_JWT_ISSUER);
    List<String> audience = in.texts(ConfigKey.AUTH_JWT_AUDIENCE);
    int skew = in.integer(ConfigKey.AUTH_JWT_CLOCK_SKEW_SECONDS, 0, 3600);
    boolean asymmetric = !jwksUrl.isEmpty() || !publicKeys.isEmpty();
    if (!asymmetric && secret.isEmpty()) {
      if (tree.getValue("jwt") != null) {
        problems.add("auth.jwt: no keys; set auth.jwt.jwksUrl, auth.jwt.publicKeys or auth.jwt.secret");
      }
      return Optional.empty();
    }
    if (!jwksUrl.isEmpty() && !jwksUrl.matches("https?://[^\\s/]+(/\\S*)?")) {
      problems.add(ConfigKey.AUTH_JWT_JWKS_URL.path() + " = \"" + jwksUrl + "\": not an http(s) URL; e.g. "
          + "\"https://idp.example/.well-known/jwks.json\"");
    }
    if (!secret.isEmpty() && secret.getBytes(StandardCharsets.UTF_8).length < MIN_SECRET_BYTES) {
      problems.add(ConfigKey.AUTH_JWT_SECRET.path() + ": shorter than " + MIN_SECRET_BYTES
          + " bytes, which HS256 needs to be safe; use a longer random secret (e.g. openssl rand -base64 48)");
    }
    if (!secret.isEmpty() && asymmetric) {
      problems.add(ConfigKey.AUTH_JWT_SECRET.path() + ": set together with public keys or a JWKS; a token could then "
          + "choose HS256 and be checked with the secret instead of the keys. Use one or the other");
    }
    for (int i = 0; i < publicKeys.size(); i++) {
      if (keyFamily(publicKeys.get(i)).isEmpty()) {
        problems.add(ConfigKey.AUTH_JWT_PUBLIC_KEYS.path() + "[" + i + "]: not a PEM RSA or EC public key; paste the "
            + "whole -----BEGIN PUBLIC KEY----- block");
      }
    }
    if (algorithms.isEmpty()) {
      algorithms = asymmetric ? List.of("RS256", "ES256") : List.of("HS256");
    }
    for (String algorithm : algorithms) {
      if (algorithm.equalsIgnoreCase("none")) {
        problems.add(ConfigKey.AUTH_JWT_ALGORITHMS.path() + ": \"none\" is never allowed (an unsigned token proves "
            + "nothing); remove it");
      } else if (!JwtConfig.SUPPORTED.contains(algorithm)) {
        problems.add(ConfigKey.AUTH_JWT_ALGORITHMS.path() + ": \"" + algorithm + "\" is not supported; use some of "
            + JwtConfig.SUPPORTED);
      } else if (JwtConfig.symmetric(algorithm) == asymmetric) {
        problems.add(ConfigKey.AUTH_JWT_ALGORITHMS.path() + ": \"" + algorithm + "\" does not fit the keys ("
            + (asymmetric ? "public keys or a JWKS take RS*, PS*, ES* or EdDSA" : "a secret takes HS256, HS384 or HS512")
            + "); mixing them would let a token choose how it is checked");
      }
    }
    return Optional.of(new JwtConfig(Optional.of(jwksUrl).filter(u -> !u.isEmpty()), refreshMs, timeoutMs,
        refetchMinMs, List.copyOf(publicKeys), Optional.of(secret).filter(s -> !s.isEmpty()), List.copyOf(algorithms),
        Optional.of(issuer).filter(s -> !s.isEmpty()), List.copyOf(audience), skew));
  }

  /** "RSA" or "EC" for a PEM public key, empty when it is not one. */
  public static Optional<String> keyFamily(String pem) {
    String base64 = pem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
    byte[] der;
    try {
      der = Base64.getDecoder().decode(base64);
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
    for (String family : List.of("RSA", "EC")) {
      try {
        KeyFactory.getInstance(family).generatePublic(new X509EncodedKeySpec(der));
        return Optional.of(family);
      } catch (Exception notThisFamily) {
        // try the next
      }
    }
    return Optional.empty();
  }

}
