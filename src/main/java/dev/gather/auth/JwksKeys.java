package dev.gather.auth;

import dev.gather.config.JwtConfig;
import dev.gather.time.Ticker;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.impl.jose.JWK;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The identity provider's key set. vertx-auth-jwt verifies against the keys it is given but does not fetch a JWKS
 * itself (its OAuth2 module does, but brings discovery and flows gather has no use for), so this fetches it: at start,
 * on schedule, and when a token names an unknown kid, which a key rotation causes; those last fetches are at most one
 * per {@code jwksRefetchMinMs}, so a stream of forged kids cannot turn gather into a load on the provider. One fetch at
 * a time: callers that ask during one share it. Confined to the event loop of the verticle that made it.
 */
final class JwksKeys {
  private static final Logger LOG = LoggerFactory.getLogger(JwksKeys.class);

  private final JwtConfig config;
  private final String url;
  private final WebClient client;
  private final Ticker ticker;
  private final Consumer<List<JsonObject>> onKeys;
  private Future<Void> inFlight;
  private boolean loaded;
  private long lastUnknownKidFetch;
  private boolean unknownKidFetched;
  private long lastFailure;
  private boolean failed;

  JwksKeys(Vertx vertx, JwtConfig config, Ticker ticker, Consumer<List<JsonObject>> onKeys) {
    this.config = config;
    this.url = config.jwksUrl().orElseThrow();
    this.ticker = ticker;
    this.onKeys = onKeys;
    this.client = WebClient.create(vertx, new WebClientOptions()
        .setConnectTimeout((int) config.jwksTimeoutMs())
        .setIdleTimeout((int) Math.max(1, config.jwksTimeoutMs() / 1000))
        .setIdleTimeoutUnit(TimeUnit.SECONDS));
  }

  /** The first fetch, and then one every {@code jwksRefreshMs}. */
  void start(Vertx vertx) {
    fetch();
    vertx.setPeriodic(config.jwksRefreshMs(), id -> fetch());
  }

  boolean loaded() {
    return loaded;
  }

  /** The fetch under way, or a new one. */
  Future<Void> fetch() {
    if (inFlight != null) {
      return inFlight;
    }
    Promise<Void> done = Promise.promise();
    inFlight = done.future();
    client.getAbs(url).timeout(config.jwksTimeoutMs()).putHeader("Accept", "application/json").send()
        // The request's own timeout is reset by every byte; this bounds the whole fetch, trickled answers included.
        .timeout(config.jwksTimeoutMs(), TimeUnit.MILLISECONDS)
        .compose(response -> {
          if (response.statusCode() != 200) {
            return Future.failedFuture("answered " + response.statusCode());
          }
          JsonObject body = response.bodyAsJsonObject();
          if (body == null || !(body.getValue("keys") instanceof JsonArray keys)) {
            return Future.failedFuture("the answer has no \"keys\" list");
          }
          return Future.succeededFuture(usable(keys));
        })
        .onComplete(result -> {
          inFlight = null;
          failed = result.failed();
          lastFailure = ticker.nanoTime();
          if (result.succeeded()) {
            loaded = true;
            onKeys.accept(result.result());
            done.complete();
          } else {
            // The keys fetched before stay in use: a provider that is briefly down must not lock everyone out.
            LOG.warn("JWKS {} could not be fetched ({}); keeping the keys fetched before", url,
                result.cause().getMessage());
            done.fail(result.cause());
          }
        });
    return inFlight;
  }

  /**
   * A fetch for a token that arrives while no key was ever fetched: the one under way, or a new one when the last
   * failed at least {@code jwksRefetchMinMs} ago; else null, and the token is answered 503 at once (see
   * {@link #retryAfterMs()}). Without that gap, every request during an outage of the provider would be a fetch.
   */
  Future<Void> fetchWhileEmpty() {
    if (inFlight != null || !failed || sinceLastFailureMs() >= config.jwksRefetchMinMs()) {
      return fetch();
    }
    return null;
  }

  /** When a fetch for a token may next be tried, which is when a 503 for want of keys may turn into an answer. */
  long retryAfterMs() {
    return inFlight != null ? config.jwksTimeoutMs() : Math.max(0, config.jwksRefetchMinMs() - sinceLastFailureMs());
  }

  private long sinceLastFailureMs() {
    return TimeUnit.NANOSECONDS.toMillis(ticker.nanoTime() - lastFailure);
  }

  /**
   * A fetch for a token whose kid no key has, when the last such fetch is long enough ago; else empty, and the token
   * is refused with the keys at hand.
   */
  Future<Void> fetchForUnknownKid() {
    long now = ticker.nanoTime();
    if (unknownKidFetched && now - lastUnknownKidFetch < TimeUnit.MILLISECONDS.toNanos(config.jwksRefetchMinMs())) {
      return null;
    }
    unknownKidFetched = true;
    lastUnknownKidFetch = now;
    return fetch();
  }

  /**
   * The keys fit to verify with: signing keys of an allowed algorithm only. A symmetric ({@code oct}) key in a
   * published key set is never used, or anyone reading the set could sign tokens with it.
   */
  private List<JsonObject> usable(JsonArray keys) {
    List<JsonObject> usable = new ArrayList<>();
    for (Object item : keys) {
      if (!(item instanceof JsonObject key) || "oct".equals(key.getString("kty"))
          || (key.getString("use") != null && !"sig".equals(key.getString("use")))) {
        continue;
      }
      String alg = key.getString("alg", switch (String.valueOf(key.getString("kty"))) {
        case "EC" -> "ES256";
        case "OKP" -> "EdDSA";
        default -> "RS256";
      });
      if (!config.algorithms().contains(alg)) {
        continue;
      }
      try {
        new JWK(key);
        usable.add(key.copy().put("alg", alg));
      } catch (RuntimeException broken) {
        LOG.warn("JWKS {}: key {} is not usable ({})", url, key.getString("kid"), broken.getMessage());
      }
    }
    return usable;
  }
}
