package dev.gather.ratelimit;

import dev.gather.config.AggregateConfig;
import dev.gather.config.Rate;
import dev.gather.config.RateLimitConfig;
import dev.gather.config.RouteGroup;
import dev.gather.http.ApiError;
import dev.gather.http.Caller;
import dev.gather.http.RouteGuard;
import dev.gather.logging.LogThrottle;
import dev.gather.time.Ticker;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.Shareable;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.SecurityPolicyHandler;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The rate-limit guard: for each limited route, a handler that takes a token from the caller's bucket of the
 * route's policy (the aggregate's own {@code rate}, else its group's), keyed by the caller's kind and id, and
 * answers 429 problem+json with {@code Retry-After} when there is none. Every answer of a limited route carries
 * the {@code RateLimit-Policy} and {@code RateLimit} fields (IETF draft-ietf-httpapi-ratelimit-headers):
 * {@code "aggregates";q=100;w=2} says 100 requests (the burst) per 2 s (the time to refill it), and
 * {@code "aggregates";r=42;t=1} the tokens left and the seconds until the bucket is full again (on a 429: until the
 * next token).
 *
 * <p>One per process, shared by the HTTP verticle instances ({@link #shared}), so that a caller has one bucket
 * whichever event loop its connection landed on.
 */
public final class RateLimits implements RouteGuard, Shareable {
  static final CharSequence RATELIMIT_POLICY = io.vertx.core.http.HttpHeaders.createOptimized("RateLimit-Policy");
  static final CharSequence RATELIMIT = io.vertx.core.http.HttpHeaders.createOptimized("RateLimit");
  private static final Logger LOG = LoggerFactory.getLogger(RateLimits.class);
  private static final String SHARED_MAP = "gather.rateLimits";

  private final RateLimitConfig config;
  private final MeterRegistry registry;
  private final Buckets buckets;
  private final String store;
  private final Counter storeFailures;
  /** One line per 10 s at most, with the count of failures it stands for: a dead Redis must not flood the log. */
  private final LogThrottle failureLog;

  RateLimits(RateLimitConfig config, MeterRegistry registry, Buckets buckets, String store, Ticker ticker) {
    this.config = config;
    this.registry = registry;
    this.buckets = buckets;
    this.store = store;
    this.failureLog = new LogThrottle(10_000, ticker);
    this.storeFailures = Counter.builder("gather_ratelimit_store_failures")
        .description("Rate-limit checks the bucket store (Redis) did not answer in time or failed")
        .tag("store", store).register(registry);
  }

  /** The process's rate limits: made by the first HTTP verticle instance that asks, shared by the others. */
  public static RateLimits shared(Vertx vertx, RateLimitConfig config, MeterRegistry registry) {
    return vertx.sharedData().<String, RateLimits>getLocalMap(SHARED_MAP).computeIfAbsent("limits", name ->
        config.redisUrl()
            .map(url -> new RateLimits(config, registry, new RedisBuckets(vertx, url, config.redisPrefix(),
                config.redisTimeoutMs()), "redis",
                Ticker.SYSTEM))
            .orElseGet(() -> new RateLimits(config, registry,
                new LocalBuckets(config.localMaxBuckets(), Ticker.SYSTEM), "local", Ticker.SYSTEM)));
  }

  @Override
  public List<Handler<RoutingContext>> handlers(RouteGroup group, Optional<AggregateConfig> aggregate) {
    if (group == RouteGroup.HEALTH) {
      return List.of();
    }
    Optional<Policy> policy = aggregate.flatMap(AggregateConfig::rate)
        .map(rate -> new Policy("aggregates." + aggregate.get().name(), rate))
        .or(() -> Optional.ofNullable(config.routes().get(group)).map(rate -> new Policy(group.key(), rate)));
    return policy.<List<Handler<RoutingContext>>>map(p -> List.of(new Check(p))).orElse(List.of());
  }

  /** A policy by name, with its header value and its meters resolved once. */
  private final class Policy {
    final String name;
    final Rate rate;
    final String header;
    final Counter allowed;
    final Counter limited;
    final Counter failedOpen;
    final Counter failedClosed;

    Policy(String name, Rate rate) {
      this.name = name;
      this.rate = rate;
      this.header = "\"" + name + "\";q=" + rate.burst() + ";w=" + rate.windowSeconds();
      this.allowed = counter("allowed");
      this.limited = counter("limited");
      this.failedOpen = counter("failed_open");
      this.failedClosed = counter("failed_closed");
    }

    private Counter counter(String outcome) {
      return Counter.builder("gather_ratelimit_requests")
          .description("Requests checked against a rate-limit policy, by outcome")
          .tag("policy", name).tag("outcome", outcome).register(registry);
    }
  }

  /**
   * A security-policy handler for Vert.x Web's ordering of a route's handlers: after the authentication guard
   * (also one, so that the caller is known) and before the body handler, so a refused request is not read.
   */
  private final class Check implements SecurityPolicyHandler {
    private final Policy policy;

    Check(Policy policy) {
      this.policy = policy;
    }

    @Override
    public void handle(RoutingContext ctx) {
      Caller caller = Caller.of(ctx);
      String key = policy.name + ':' + caller.kind().name().toLowerCase(java.util.Locale.ROOT) + ':' + caller.id();
      buckets.take(key, policy.rate).onComplete(done -> {
        if (ctx.response().ended() || ctx.response().closed()) {
          return; // the request timed out or the client left while the store answered
        }
        if (done.succeeded()) {
          decided(ctx, done.result());
        } else {
          failed(ctx, done.cause());
        }
      });
    }

    private void decided(RoutingContext ctx, Decision decision) {
      HttpServerResponse response = ctx.response();
      response.putHeader(RATELIMIT_POLICY, policy.header);
      long seconds = decision.allowed() ? ApiError.retryAfterSeconds(decision.fullAfterMs())
          : ApiError.retryAfterSeconds(decision.retryAfterMs());
      response.putHeader(RATELIMIT, "\"" + policy.name + "\";r=" + decision.remaining() + ";t="
          + (decision.allowed() && decision.fullAfterMs() == 0 ? 0 : seconds));
      if (decision.allowed()) {
        policy.allowed.increment();
        ctx.next();
        return;
      }
      policy.limited.increment();
      ctx.fail(new ApiError(429, "rate-limited", "more than " + policy.rate.burst() + " requests in "
          + policy.rate.windowSeconds() + " s under rate limit " + policy.name + "; retry in " + seconds + " s",
          new JsonObject().put("policy", policy.name)).retryAfterMs(decision.retryAfterMs()));
    }

    private void failed(RoutingContext ctx, Throwable cause) {
      storeFailures.increment();
      logFailure(cause);
      if (config.failOpen()) {
        policy.failedOpen.increment();
        ctx.next();
      } else {
        policy.failedClosed.increment();
        // No Retry-After: nothing here knows when the store will be back.
        ctx.fail(new ApiError(503, "rate-limit-unavailable", "the rate limiter's store did not answer within "
            + config.redisTimeoutMs() + " ms; retry later"));
      }
    }
  }

  private void logFailure(Throwable cause) {
    long count = failureLog.occurred();
    if (count > 0) {
      LOG.warn("rate limits: the {} store failed {} check(s) since the last line, latest: {}; failing {}", store, count,
          String.valueOf(cause.getMessage()), config.failOpen() ? "open (requests pass)" : "closed (503)");
    }
  }
}
