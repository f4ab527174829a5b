package dev.gather.auth;

import dev.gather.config.AuthConfig;
import dev.gather.config.JwtConfig;
import dev.gather.http.ApiError;
import dev.gather.http.Caller;
import dev.gather.time.Ticker;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.NoSuchKeyIdException;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.User;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Verifies bearer tokens with vertx-auth-jwt: signature, {@code iss}, {@code aud}, and {@code exp}/{@code nbf}/{@code
 * iat} within the clock skew. Before the library sees a token, its header's {@code alg} must be on the allow-list
 * (so never {@code none}, and never HS against keys meant for RS). Tokens that verified are remembered until they
 * expire (bounded, dropped when the keys change), so a client sending the same token again costs a map lookup, not a
 * signature check. One per HTTP verticle, confined to its event loop.
 */
final class TokenVerifier {
  private static final int MAX_TOKEN_CHARS = 8192;
  private static final int REMEMBERED = 4096;

  private final JwtConfig config;
  private final Vertx vertx;
  private final List<PubSecKeyOptions> configuredKeys = new ArrayList<>();
  private final JwksKeys jwks;
  /** Null while there is no key: the library would then accept unsigned tokens, so nothing is verified. */
  private JWTAuth auth;
  private final Map<String, Verified> remembered = new LinkedHashMap<>(64, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Verified> eldest) {
      return size() > REMEMBERED;
    }
  };

  private record Verified(Caller caller, long expiresAtSeconds) {}

  TokenVerifier(Vertx vertx, JwtConfig config, Ticker ticker) {
    this.vertx = vertx;
    this.config = config;
    config.secret().ifPresent(secret -> config.algorithms().forEach(alg ->
        configuredKeys.add(new PubSecKeyOptions().setAlgorithm(alg).setBuffer(secret))));
    for (String pem : config.publicKeys()) {
      String family = AuthConfig.keyFamily(pem).orElseThrow();
      config.algorithms().stream()
          .filter(alg -> family.equals("RSA") ? alg.startsWith("RS") || alg.startsWith("PS") : alg.startsWith("ES"))
          .forEach(alg -> configuredKeys.add(new PubSecKeyOptions().setAlgorithm(alg).setBuffer(pem)));
    }
    jwks = config.jwksUrl().isPresent() ? new JwksKeys(vertx, config, ticker, this::use) : null;
    use(List.of());
  }

  void start() {
    if (jwks != null) {
      jwks.start(vertx);
    }
  }

  private void use(List<JsonObject> fetched) {
    remembered.clear();
    if (configuredKeys.isEmpty() && fetched.isEmpty()) {
      auth = null;
      return;
    }
    JWTOptions options = new JWTOptions().setLeeway(config.clockSkewSeconds());
    config.issuer().ifPresent(options::setIssuer);
    if (!config.audience().isEmpty()) {
      options.setAudience(config.audience());
    }
    auth = JWTAuth.create(vertx, new JWTAuthOptions().setPubSecKeys(configuredKeys).setJwks(fetched)
        .setJWTOptions(options));
  }

  /** The caller the token proves, or an {@link ApiError}: 401 for a bad token, 503 when no key could be fetched. */
  Future<Caller> verify(String token) {
    if (token.length() > MAX_TOKEN_CHARS) {
      return Future.failedFuture(AuthFailure.invalidToken("the token is longer than " + MAX_TOKEN_CHARS + " characters"));
    }
    Verified known = remembered.get(token);
    if (known != null && known.expiresAtSeconds() + config.clockSkewSeconds() > nowSeconds()) {
      return Future.succeededFuture(known.caller());
    }
    String refused = refusedHeader(token);
    if (refused != null) {
      return Future.failedFuture(AuthFailure.invalidToken(refused));
    }
    if (auth == null) {
      if (jwks == null) {
        return Future.failedFuture(AuthFailure.invalidToken("no key verifies tokens"));
      }
      // No key yet: the first fetch failed or is under way. Wait for one, within its timeout, or answer at once
      // when the last one failed too recently to try again.
      Future<Void> fetch = jwks.fetchWhileEmpty();
      return fetch == null ? Future.failedFuture(noKeys())
          : fetch.transform(done -> auth == null ? Future.failedFuture(noKeys()) : check(token, true));
    }
    return check(token, jwks != null);
  }

  /**
   * 503, not 401: the token may well be good, gather cannot tell yet. Retry-After says when gather may next try the
   * provider, so a client retrying sooner would only get this answer again.
   */
  private ApiError noKeys() {
    return new ApiError(503, "unavailable", "the keys that verify tokens could not be fetched from auth.jwt.jwksUrl; "
        + "retry later").retryAfterMs(jwks.retryAfterMs());
  }

  private Future<Caller> check(String token, boolean mayRefetch) {
    return auth.authenticate(new TokenCredentials(token)).transform(result -> {
      if (result.succeeded()) {
        return accepted(token, result.result());
      }
      Throwable cause = result.cause();
      if (cause instanceof NoSuchKeyIdException && mayRefetch) {
        Future<Void> refetch = jwks.fetchForUnknownKid();
        if (refetch != null) {
          return refetch.transform(done -> check(token, false));
        }
      }
      return Future.failedFuture(AuthFailure.invalidToken(reason(cause)));
    });
  }

  private Future<Caller> accepted(String token, User user) {
    // The decoded payload; the principal also holds the raw token, which must never become a claim (or a header).
    JsonObject claims = user.attributes().getJsonObject("accessToken", new JsonObject());
    if (!(claims.getValue("exp") instanceof Number exp)) {
      // A token that never expires cannot be taken back; the provider must say when it ends.
      return Future.failedFuture(AuthFailure.invalidToken("the token has no exp (expiry) claim"));
    }
    String subject = claims.getString("sub", "");
    Caller caller = new Caller(Caller.Kind.JWT, subject, scopes(claims), claims.getMap());
    remembered.put(token, new Verified(caller, exp.longValue()));
    return Future.succeededFuture(caller);
  }

  /** {@code scope} (space-separated, RFC 8693) or {@code scp} (a list, as some providers send it). */
  private static Set<String> scopes(JsonObject claims) {
    Set<String> scopes = new LinkedHashSet<>();
    if (claims.getValue("scope") instanceof String scope) {
      for (String s : scope.trim().split("\\s+")) {
        if (!s.isEmpty()) {
          scopes.add(s);
        }
      }
    }
    Object scp = claims.getValue("scp");
    if (scp instanceof JsonArray list) {
      list.forEach(s -> scopes.add(String.valueOf(s)));
    } else if (scp instanceof String s) {
      scopes.addAll(List.of(s.trim().split("\\s+")));
    }
    return Set.copyOf(scopes);
  }

  /** Why the header alone rules the token out, or null. */
  private String refusedHeader(String token) {
    int dot = token.indexOf('.');
    if (dot <= 0 || token.chars().filter(c -> c == '.').count() != 2 || token.endsWith(".")) {
      return "the token is not a signed JWT (header.payload.signature)";
    }
    JsonObject header;
    try {
      header = new JsonObject(new String(Base64.getUrlDecoder().decode(token.substring(0, dot)), StandardCharsets.UTF_8));
    } catch (RuntimeException e) {
      return "the token's header is not base64url JSON";
    }
    Object alg = header.getValue("alg");
    if (!(alg instanceof String name) || !config.algorithms().contains(name)) {
      return "the token's algorithm " + (alg instanceof String ? alg : "(none given)") + " is not accepted; accepted: "
          + String.join(", ", config.algorithms());
    }
    return null;
  }

  /** The library's reason in gather's words; its messages never carry the token, but these are the client's to read. */
  private static String reason(Throwable cause) {
    String message = String.valueOf(cause.getMessage());
    if (cause instanceof NoSuchKeyIdException) {
      return "no key verifies the token (unknown kid or algorithm)";
    }
    if (message.contains("expired")) {
      return "the token has expired, or is not valid yet";
    }
    if (message.contains("issuer")) {
      return "the token's issuer (iss) is not the one expected";
    }
    if (message.contains("audience")) {
      return "the token's audience (aud) does not name this service";
    }
    if (message.contains("Signature")) {
      return "the token's signature does not verify";
    }
    return "the token is not a valid JWT";
  }

  private static long nowSeconds() {
    return System.currentTimeMillis() / 1000;
  }
}
