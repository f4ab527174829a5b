package dev.gather.auth;

import dev.gather.config.AggregateConfig;
import dev.gather.config.AuthConfig;
import dev.gather.config.AuthPolicy;
import dev.gather.config.RouteGroup;
import dev.gather.http.ApiError;
import dev.gather.http.Caller;
import dev.gather.http.RouteGuard;
import dev.gather.time.Ticker;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.SecurityPolicyHandler;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * The guard that establishes who is calling: a bearer token ({@code Authorization: Bearer ...}) or an API key
 * ({@code X-Api-Key}), checked against the route's policy (its aggregate's, else its group's). Routes whose policy is
 * {@code none} get no handler at all. Answers 401 with a {@code WWW-Authenticate} challenge for missing or bad
 * credentials and 403 for credentials that lack a scope or claim value.
 */
public final class Authentication implements RouteGuard {
  public static final String API_KEY_HEADER = "X-Api-Key";
  private static final String BEARER = "bearer ";

  private final AuthConfig config;
  private final TokenVerifier tokens;
  private final ApiKeys apiKeys;
  private final String challenges;

  private Authentication(AuthConfig config, TokenVerifier tokens) {
    this.config = config;
    this.tokens = tokens;
    this.apiKeys = new ApiKeys(config.apiKeys());
    String bearer = "Bearer realm=\"" + AuthFailure.REALM + "\"";
    this.challenges = tokens == null ? "ApiKey realm=\"" + AuthFailure.REALM + "\", header=\"" + API_KEY_HEADER + "\""
        : bearer;
  }

  /** For one HTTP verticle: call on its event loop, which its key fetches and timers then belong to. */
  public static Authentication create(Vertx vertx, AuthConfig config) {
    TokenVerifier tokens = config.jwt().map(jwt -> new TokenVerifier(vertx, jwt, Ticker.SYSTEM)).orElse(null);
    if (tokens != null) {
      tokens.start();
    }
    return new Authentication(config, tokens);
  }

  @Override
  public List<Handler<RoutingContext>> handlers(RouteGroup group, Optional<AggregateConfig> aggregate) {
    AuthPolicy policy = aggregate.flatMap(AggregateConfig::auth).orElse(config.policy(group));
    if (group == RouteGroup.HEALTH || policy.mode() == AuthPolicy.Mode.NONE) {
      return List.of();
    }
    return List.of(new Check(policy));
  }

  /**
   * A security-policy handler in Vert.x Web's order: after the platform handlers (the meter), before the body is read,
   * so that a caller without credentials is refused without gather reading what it sends.
   */
  private final class Check implements SecurityPolicyHandler {
    private final AuthPolicy policy;

    Check(AuthPolicy policy) {
      this.policy = policy;
    }

    @Override
    public void handle(RoutingContext ctx) {
      check(ctx, policy);
    }
  }

  private void check(RoutingContext ctx, AuthPolicy policy) {
    String authorization = ctx.request().getHeader("Authorization");
    String apiKey = ctx.request().getHeader(API_KEY_HEADER);
    Future<Caller> caller;
    if (authorization != null && authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
      if (tokens == null) {
        ctx.fail(AuthFailure.invalidToken("bearer tokens are not accepted here (auth.jwt is not configured); send "
            + "an API key in " + API_KEY_HEADER));
        return;
      }
      caller = tokens.verify(authorization.substring(BEARER.length()).trim());
    } else if (apiKey != null && apiKeys.any()) {
      caller = apiKeys.find(apiKey).map(Future::succeededFuture)
          .orElseGet(() -> Future.failedFuture(AuthFailure.invalidToken("the API key in " + API_KEY_HEADER
              + " is not known")));
    } else if (policy.mode() == AuthPolicy.Mode.REQUIRED) {
      ctx.response().putHeader("WWW-Authenticate", challenges);
      ctx.fail(AuthFailure.invalidToken("this route needs credentials: " + howToAuthenticate()));
      return;
    } else {
      ctx.next();
      return;
    }
    caller.onComplete(result -> {
      if (result.failed()) {
        ApiError error = result.cause() instanceof ApiError api ? api
            : AuthFailure.invalidToken("the credentials could not be checked");
        if (error.status() == 401) {
          ctx.response().putHeader("WWW-Authenticate", AuthFailure.invalidTokenChallenge(error.getMessage()));
        }
        ctx.fail(error);
        return;
      }
      String lacking = lacking(result.result(), policy);
      if (lacking != null) {
        ctx.response().putHeader("WWW-Authenticate",
            AuthFailure.insufficientScopeChallenge(String.join(" ", new TreeSet<>(policy.scopes()))));
        ctx.fail(AuthFailure.forbidden(lacking));
        return;
      }
      Caller.set(ctx, result.result());
      ctx.next();
    });
  }

  private String howToAuthenticate() {
    return tokens != null && apiKeys.any() ? "send Authorization: Bearer <token> or " + API_KEY_HEADER + ": <key>"
        : tokens != null ? "send Authorization: Bearer <token>" : "send " + API_KEY_HEADER + ": <key>";
  }

  /** What the caller lacks of what the policy asks (its scopes, its claim values), or null. */
  private static String lacking(Caller caller, AuthPolicy policy) {
    if (policy.mode() != AuthPolicy.Mode.REQUIRED) {
      return null;
    }
    TreeSet<String> missing = new TreeSet<>(policy.scopes());
    missing.removeAll(caller.scopes());
    if (!missing.isEmpty()) {
      return "the credentials lack the scope" + (missing.size() == 1 ? " " : "s ") + String.join(", ", missing);
    }
    for (Map.Entry<String, String> claim : policy.claims().entrySet()) {
      Object value = caller.claims().get(claim.getKey());
      boolean matches = value instanceof List<?> list ? list.stream().anyMatch(v -> claim.getValue().equals(String.valueOf(v)))
          : value instanceof JsonArray array ? array.stream().anyMatch(v -> claim.getValue().equals(String.valueOf(v)))
          : value != null && claim.getValue().equals(String.valueOf(value));
      if (!matches) {
        return "the credentials' claim " + claim.getKey() + " does not have the value this route needs";
      }
    }
    return null;
  }
}
