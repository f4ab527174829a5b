package dev.gather.ratelimit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gather.config.AggregateConfig;
import dev.gather.config.Rate;
import dev.gather.config.RateLimitConfig;
import dev.gather.config.RouteGroup;
import dev.gather.http.Caller;
import dev.gather.http.Problems;
import dev.gather.time.ManualClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.core.buffer.Buffer;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The guard on a real server, its local buckets on a clock the test drives. */
class RateLimitGuardTest {
  private final ManualClock clock = new ManualClock();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private Vertx vertx;
  private HttpServer server;
  private WebClient client;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    RateLimitConfig config = new RateLimitConfig(Optional.empty(), "unused:", true, 200, 1000,
        Map.of(RouteGroup.USERS, new Rate(2, 3), RouteGroup.AGGREGATES, new Rate(1, 1)));
    RateLimits limits = new RateLimits(config, registry, new LocalBuckets(1000, clock), "local", clock);
    AggregateConfig own = new AggregateConfig("own", "/aggregate/own", 1000, List.of(), "GET", true, Optional.empty(),
        Optional.of(new Rate(10, 5)), Optional.empty(), Optional.empty());
    AggregateConfig plain = new AggregateConfig("plain", "/aggregate/plain", 1000, List.of());
    Router router = Router.router(vertx);
    guarded(router.get("/users"), limits, RouteGroup.USERS, Optional.empty());
    guarded(router.get("/health/live"), limits, RouteGroup.HEALTH, Optional.empty());
    guarded(router.get("/jobs"), limits, RouteGroup.JOBS, Optional.empty());
    guarded(router.get("/aggregate/own"), limits, RouteGroup.AGGREGATES, Optional.of(own));
    guarded(router.get("/aggregate/plain"), limits, RouteGroup.AGGREGATES, Optional.of(plain));
    router.route().failureHandler(new Problems()::handle);
    server = vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1").await();
    client = WebClient.create(vertx);
  }

  /** As ApiRouter does: whoever authentication says is calling (here: a header), then the guard, then the route. */
  private static void guarded(Route route, RateLimits limits, RouteGroup group, Optional<AggregateConfig> aggregate) {
    // A platform handler, as the guards' are: Vert.x Web lets only those run before a route's body handler.
    route.handler((io.vertx.ext.web.handler.PlatformHandler) ctx -> {
      String subject = ctx.request().getHeader("X-Test-Subject");
      if (subject != null) {
        Caller.set(ctx, new Caller(Caller.Kind.JWT, subject, Set.of(), Map.of()));
      }
      ctx.next();
    });
    limits.handlers(group, aggregate).forEach(route::handler);
    route.handler(ctx -> ctx.response().end("ok"));
  }

  @AfterEach
  void stop() {
    client.close();
    vertx.close().await();
  }

  private HttpResponse<Buffer> get(String path, String subject) {
    var request = client.get(server.actualPort(), "127.0.0.1", path);
    if (subject != null) {
      request.putHeader("X-Test-Subject", subject);
    }
    return request.send().await();
  }

  @Test
  void everyAnswerOfALimitedRouteTellsThePolicyAndWhatIsLeft() {
    HttpResponse<Buffer> first = get("/users", null);
    assertEquals(200, first.statusCode());
    assertEquals("\"users\";q=3;w=2", first.getHeader("RateLimit-Policy"));
    assertEquals("\"users\";r=2;t=1", first.getHeader("RateLimit"));
  }

  @Test
  void pastTheBurstTheAnswerIs429ProblemJsonWithRetryAfter() {
    get("/users", null);
    get("/users", null);
    get("/users", null);
    HttpResponse<Buffer> refused = get("/users", null);
    assertEquals(429, refused.statusCode());
    assertEquals(Problems.CONTENT_TYPE, refused.getHeader("Content-Type"));
    assertEquals("1", refused.getHeader("Retry-After"));
    assertEquals("\"users\";q=3;w=2", refused.getHeader("RateLimit-Policy"));
    assertEquals("\"users\";r=0;t=1", refused.getHeader("RateLimit"));
    JsonObject problem = refused.bodyAsJsonObject();
    assertEquals("urn:gather:problem:rate-limited", problem.getString("type"));
    assertEquals(429, problem.getInteger("status"));
    assertEquals("users", problem.getString("policy"));
    assertTrue(problem.getString("detail").contains("retry in 1 s"), problem.getString("detail"));
  }

  @Test
  void aRefusedCallerIsLetInAgainOnceATokenIsBack() {
    for (int i = 0; i < 3; i++) {
      get("/users", null);
    }
    assertEquals(429, get("/users", null).statusCode());
    clock.advance(500);
    assertEquals(200, get("/users", null).statusCode());
    assertEquals(429, get("/users", null).statusCode());
  }

  @Test
  void callersAreLimitedApartByWhoTheyAre() {
    for (int i = 0; i < 3; i++) {
      get("/users", "alice");
    }
    assertEquals(429, get("/users", "alice").statusCode());
    assertEquals(200, get("/users", "bob").statusCode());
    assertEquals(200, get("/users", null).statusCode(), "an anonymous caller is its address, not alice");
  }

  @Test
  void anAggregatesOwnRateReplacesItsGroupsAndHasItsOwnBucket() {
    assertEquals(200, get("/aggregate/plain", null).statusCode());
    assertEquals(429, get("/aggregate/plain", null).statusCode());
    HttpResponse<Buffer> own = get("/aggregate/own", null);
    assertEquals(200, own.statusCode());
    assertEquals("\"aggregates.own\";q=5;w=1", own.getHeader("RateLimit-Policy"));
  }

  @Test
  void unlimitedGroupsAndHealthProbesCarryNoFields() {
    HttpResponse<Buffer> jobs = get("/jobs", null);
    assertEquals(200, jobs.statusCode());
    assertNull(jobs.getHeader("RateLimit-Policy"));
    assertNull(get("/health/live", null).getHeader("RateLimit"));
  }

  @Test
  void decisionsAreCountedByPolicyAndOutcome() {
    get("/aggregate/plain", null);
    get("/aggregate/plain", null);
    assertEquals(1, registry.get("gather_ratelimit_requests").tags("policy", "aggregates", "outcome", "allowed")
        .counter().count());
    assertEquals(1, registry.get("gather_ratelimit_requests").tags("policy", "aggregates", "outcome", "limited")
        .counter().count());
  }
}
