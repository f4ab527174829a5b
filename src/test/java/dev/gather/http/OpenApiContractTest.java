package dev.gather.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gather.Gather;
import dev.gather.config.GatherConfig;
import dev.gather.jobs.api.ComputeApi;
import dev.gather.jobs.handler.JobHandlers;
import dev.gather.jobs.api.JobsApi;
import io.vertx.core.json.JsonObject;
import dev.gather.RunningGather;
import dev.gather.fanout.AggregatesApi;
import dev.gather.proxy.ProxyApi;
import dev.gather.time.Timers;
import dev.gather.upstream.UpstreamGuards;
import dev.gather.upstream.Upstreams;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import dev.gather.metrics.HttpServerMeters;
import dev.gather.server.ApiRouter;
import dev.gather.time.Ticker;
import dev.gather.users.UsersApi;
import java.util.List;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.io.InputStream;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import io.swagger.v3.parser.OpenAPIV3Parser;
import io.swagger.v3.parser.core.models.ParseOptions;
import io.swagger.v3.parser.core.models.SwaggerParseResult;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.yaml.snakeyaml.Yaml;

@ExtendWith(VertxExtension.class)
class OpenApiContractTest {
  private static final Set<String> HTTP_METHODS = Set.of("get", "put", "post", "delete", "patch", "head", "options");
  private static RunningGather app;

  /**
   * Three declared aggregates: a GET one whose required source passes 404 on and whose optional one reads a query
   * parameter and the first's answer, a shaped one that forwards a client header, and a POST one that reads the
   * client's body and answers the data alone.
   */
  static final JsonObject AGGREGATES = new JsonObject("""
      {
        "upstreams": {"users": {"url": "http://127.0.0.1:9"}},
        "queries": {"order_insert": "SELECT $1::text AS body"},
        "aggregates": {
          "dashboard": {"path": "/aggregate/dashboard/:userId", "deadlineMs": 1500, "sources": {
            "profile": {"upstream": "users", "path": "/users/{userId}", "required": true, "passStatus": [404]},
            "orders": {"upstream": "users", "path": "/orders?user={profile.id}&limit={limit}"}
          }},
          "summary": {"path": "/aggregate/summary/:userId", "shape": "{name: profile.name}", "sources": {
            "profile": {"upstream": "users", "path": "/users/{userId}", "required": true,
                        "headers": {"X-Tenant": "{header.X-Tenant}"}}
          }},
          "order": {"path": "/aggregate/orders", "method": "POST", "envelope": false, "sources": {
            "created": {"query": "order_insert", "params": ["{body}"], "required": true}
          }}
        }
      }
      """);

  @BeforeAll
  static void start() {
    app = RunningGather.start(AGGREGATES);
  }

  @AfterAll
  static void stop() throws Exception {
    app.close();
  }

  @Test
  void theSpecDescribesExactlyTheRoutesTheRouterHas(Vertx vertx) throws Exception {
    Set<String> routed = new TreeSet<>();
    Router router = router(vertx, List.of());
    for (Route route : router.getRoutes()) {
      if (route.getPath() == null || route.methods() == null) {
        continue; // handlers for every request (ids, logging, bodies), not endpoints
      }
      route.methods().forEach(method -> routed.add(method.name() + " " + openApiPath(route.getPath())));
    }

    Set<String> specified = new TreeSet<>();
    try (InputStream in = getClass().getResourceAsStream("/" + ApiDocs.SPEC_RESOURCE)) {
      Map<String, Object> spec = new Yaml().load(in);
      assertEquals("3.1.0", spec.get("openapi"));
      @SuppressWarnings("unchecked")
      Map<String, Map<String, Object>> paths = (Map<String, Map<String, Object>>) spec.get("paths");
      paths.forEach((path, operations) -> operations.keySet().stream()
          .filter(HTTP_METHODS::contains)
          .forEach(method -> specified.add(method.toUpperCase() + " " + path)));
    }

    assertFalse(routed.isEmpty());
    assertEquals(specified, routed, "openapi.yaml and ApiRouter must describe the same routes");
  }

  /** Only the routes are read: handlers that would query the database get none. */
  private static Router router(Vertx vertx, java.util.Collection<dev.gather.config.AggregateConfig> aggregates) {
    Upstreams upstreams = new Upstreams(vertx, Map.of(), new UpstreamGuards(vertx, Map.of(), new SimpleMeterRegistry()));
    return ApiRouter.create(vertx, 1024, new AccessLog(vertx, Ticker.SYSTEM),
        new RequestMeter(new HttpServerMeters(new SimpleMeterRegistry()), Ticker.SYSTEM), new RequestTimeout(1000, Timers.timeouts(vertx)), new Problems(),
        new OpsApi(new ServiceState(1), null, Gather.newRegistry(), new UpstreamGuards(vertx, Map.of(), new SimpleMeterRegistry())), new ApiDocs(Buffer.buffer()), new UsersApi(null, null),
        new AggregatesApi(upstreams, null, 1000, new SimpleMeterRegistry(), Timers.timeouts(vertx)), aggregates, new ProxyApi(upstreams),
        new JobsApi(vertx, null, null, JobHandlers.load(), GatherConfig.from(new JsonObject()).jobs()),
        new dev.gather.jobs.api.KindsApi(null, JobHandlers.load(), GatherConfig.from(new JsonObject()).jobs()),
        new dev.gather.jobs.schedule.SchedulesApi(null, Map.of(), JobHandlers.load(), java.time.Clock.systemUTC()),
        new dev.gather.jobs.api.JobEventsApi(vertx, null, 1000),
        new ComputeApi(vertx, JobHandlers.load(), 1000), java.util.List.of(), java.util.Optional.empty(),
        new dev.gather.cache.CacheAdmin(null, java.util.Set.of(), java.util.Set.of()), java.util.Optional.empty(),
        new dev.gather.console.ConsoleApi(vertx, null, Buffer.buffer(), null, null, null));
  }

  /**
   * Vert.x writes /users/:id, and reports the prefix route /docs/assets/* as /docs/assets/; OpenAPI writes
   * /users/{id} and /docs/assets/{asset} (/proxy/{upstream}/{path} for the proxy's prefix route).
   */
  private static String openApiPath(String routerPath) {
    String path = Pattern.compile(":([A-Za-z0-9_]+)").matcher(routerPath).replaceAll("{$1}");
    if (path.length() > 1 && path.endsWith("/")) {
      return path + (path.startsWith("/proxy/") ? "{path}" : "{asset}");
    }
    return path;
  }

  @Test
  void theServedSpecDescribesEveryDeclaredAggregateRouteOnItsMethod(Vertx vertx) throws Exception {
    Router router = router(vertx, app.gather.config().aggregates().values());
    Set<String> routed = new TreeSet<>();
    for (Route route : router.getRoutes()) {
      if (route.getPath() != null && route.methods() != null) {
        route.methods().forEach(method -> routed.add(method.name() + " " + openApiPath(route.getPath())));
      }
    }
    Set<String> specified = new TreeSet<>();
    served().forEach((path, operations) -> operations.keySet().stream()
        .filter(HTTP_METHODS::contains)
        .forEach(method -> specified.add(method.toUpperCase() + " " + path)));

    assertTrue(specified.contains("GET /aggregate/dashboard/{userId}"), specified.toString());
    assertTrue(specified.contains("POST /aggregate/orders"), specified.toString());
    assertEquals(specified, routed, "the served openapi.yaml and ApiRouter must describe the same routes");
  }

  @Test
  void aGeneratedOperationNamesItsParametersFromTheRouteAndTheTemplates() throws Exception {
    Map<String, Object> dashboard = operation("/aggregate/dashboard/{userId}", "get");
    List<Map<String, Object>> parameters = list(dashboard.get("parameters"));
    assertEquals(List.of("path userId true", "query limit false", "query mode false"), parameters.stream()
        .map(p -> p.get("in") + " " + p.get("name") + " " + p.get("required")).toList());
    assertFalse(dashboard.containsKey("requestBody"), "a GET aggregate whose templates never read body takes none");
  }

  @Test
  void aGeneratedOperationAnswersTheEnvelopeWithEverySourceAndItsErrorStatuses() throws Exception {
    Map<String, Object> responses = map(operation("/aggregate/dashboard/{userId}", "get").get("responses"));
    assertEquals(Set.of("200", "400", "404", "502", "503", "504"), responses.keySet());
    Map<String, Object> envelope = map(path(responses, "200", "content", "application/json", "schema"));
    assertEquals(List.of("data", "errors", "sources", "complete"), envelope.get("required"));
    assertEquals(Set.of("profile", "orders"), map(path(envelope, "properties", "data", "properties")).keySet());
    assertEquals(List.of("profile", "orders"), path(envelope, "properties", "sources", "required"));
    assertEquals("#/components/schemas/SourceOutcome",
        path(envelope, "properties", "sources", "properties", "orders", "$ref"));
    assertEquals("#/components/responses/Problem", path(responses, "404", "$ref"));
  }

  @Test
  void aShapedAggregatesDataIsWhatItsShapeBuildsAndAHeaderItsTemplatesReadIsAParameter() throws Exception {
    Map<String, Object> summary = operation("/aggregate/summary/{userId}", "get");
    List<Map<String, Object>> parameters = list(summary.get("parameters"));
    assertTrue(parameters.stream().anyMatch(p -> "header".equals(p.get("in")) && "X-Tenant".equals(p.get("name"))),
        String.valueOf(parameters));
    Map<String, Object> data = map(path(map(summary.get("responses")), "200", "content", "application/json", "schema",
        "properties", "data"));
    assertFalse(data.containsKey("properties"), "a shape decides the data, not the sources' names: " + data);
  }

  @Test
  void aPostAggregateThatReadsTheBodyTakesOneAndAnswersPlainDataWithItsErrorsInHeaders() throws Exception {
    Map<String, Object> order = operation("/aggregate/orders", "post");
    assertEquals(true, path(order, "requestBody", "required"));
    assertTrue(map(path(order, "requestBody", "content")).containsKey("application/json"));
    Map<String, Object> responses = map(order.get("responses"));
    assertEquals(Set.of("200", "400", "413", "502", "503", "504"), responses.keySet());
    assertEquals(Map.of(), path(responses, "200", "content", "application/json", "schema"));
    assertTrue(map(path(responses, "200", "headers")).containsKey("X-Gather-Errors"));
  }

  @Test
  void theServedDocumentIsValidOpenApiToARealParserWithoutASingleMessage() throws Exception {
    String text = app.client.get("/openapi.yaml").send().await(10, TimeUnit.SECONDS).bodyAsString();
    ParseOptions options = new ParseOptions();
    options.setResolve(true);
    SwaggerParseResult result = new OpenAPIV3Parser().readContents(text, null, options);
    assertEquals(List.of(), result.getMessages());
    assertEquals("3.1.0", result.getOpenAPI().getOpenapi());
    assertTrue(result.getOpenAPI().getPaths().get("/aggregate/orders").getPost() != null);
  }

  @Test
  void theShippedConfigsAggregatesMakeAValidDocument() throws Exception {
    GatherConfig shipped = GatherConfig.from(new JsonObject(java.nio.file.Files.readString(
        java.nio.file.Path.of("conf", "config.json"))));
    Buffer spec;
    try (InputStream in = getClass().getResourceAsStream("/" + ApiDocs.SPEC_RESOURCE)) {
      spec = Buffer.buffer(in.readAllBytes());
    }
    String text = dev.gather.openapi.OpenApiDocument.withAggregates(spec, shipped.aggregates().values()).toString();
    SwaggerParseResult result = new OpenAPIV3Parser().readContents(text, null, new ParseOptions());
    assertEquals(List.of(), result.getMessages());
    assertFalse(shipped.aggregates().isEmpty());
    shipped.aggregates().values().forEach(a -> assertTrue(result.getOpenAPI().getPaths()
        .containsKey(dev.gather.openapi.AggregateOperations.openApiPath(a.path())), a.path()));
  }

  /** The auth the security tests configure: a secret and an API key, users and jobs closed, aggregates optional. */
  static final JsonObject AUTH = new JsonObject("""
      {
        "auth": {
          "jwt": {"secret": "a-secret-that-is-long-enough-for-hs256-0123"},
          "apiKeys": {"ci": {"sha256": "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                             "scopes": ["jobs:write"]}},
          "routes": {"users": {"policy": "required"}, "jobs": {"policy": "required", "scopes": ["jobs:write"]},
                     "aggregates": {"policy": "optional"}}
        },
        "aggregates": {
          "acme": {"path": "/aggregate/acme", "auth": {"policy": "required", "claims": {"tenant": "acme"}},
                   "sources": {"profile": {"upstream": "users", "path": "/users/{jwt.sub}", "required": true}}}
        }
      }
      """);

  @Test
  void eachOperationCarriesTheSecurityItsConfiguredPolicyAsksAndTheDocumentStaysValid() throws Exception {
    try (RunningGather secured = RunningGather.start(AGGREGATES.copy().mergeIn(AUTH, true))) {
      String text = secured.client.get("/openapi.yaml").send().await(10, TimeUnit.SECONDS).bodyAsString();
      SwaggerParseResult result = new OpenAPIV3Parser().readContents(text, null, new ParseOptions());
      assertEquals(List.of(), result.getMessages());
      @SuppressWarnings("unchecked")
      Map<String, Map<String, Object>> paths = (Map<String, Map<String, Object>>) map(new Yaml().load(text)).get("paths");
      Map<String, Object> bearerOrKey = Map.of("bearerAuth", List.of());
      Map<String, Object> keyAlone = Map.of("apiKeyAuth", List.of());

      assertEquals(List.of(bearerOrKey, keyAlone), map(paths.get("/users").get("get")).get("security"));
      assertTrue(map(map(paths.get("/users/{id}").get("put")).get("responses")).containsKey("401"));
      Map<String, Object> enqueue = map(paths.get("/jobs").get("post"));
      assertEquals(List.of(Map.of("bearerAuth", List.of("jobs:write")), Map.of("apiKeyAuth", List.of("jobs:write"))),
          enqueue.get("security"));
      assertTrue(map(enqueue.get("responses")).keySet().containsAll(Set.of("401", "403")));
      assertEquals(List.of(), map(paths.get("/health/ready").get("get")).get("security"), "health is always open");
      assertEquals(List.of(), map(paths.get("/metrics").get("get")).get("security"), "no policy: open");
      assertFalse(map(map(paths.get("/metrics").get("get")).get("responses")).containsKey("401"));

      Map<String, Object> dashboard = map(paths.get("/aggregate/dashboard/{userId}").get("get"));
      assertEquals(List.of(Map.of(), bearerOrKey, keyAlone), dashboard.get("security"), "the group's optional");
      Map<String, Object> acme = map(paths.get("/aggregate/acme").get("get"));
      assertEquals(List.of(bearerOrKey, keyAlone), acme.get("security"), "its own required");
      assertTrue(map(acme.get("responses")).keySet().containsAll(Set.of("401", "403")));
      assertTrue(String.valueOf(acme.get("description")).contains("`tenant` = `acme`"), acme.toString());
    }
  }

  @Test
  void everyHandWrittenOperationButHealthIsSecuredWhenEveryGroupRequiresCredentials() throws Exception {
    JsonObject routes = new JsonObject();
    for (String group : List.of("info", "metrics", "docs", "users", "jobs", "compute", "aggregates", "proxy",
        "admin", "console")) {
      routes.put(group, new JsonObject().put("policy", "required"));
    }
    GatherConfig config = GatherConfig.from(AGGREGATES.copy().mergeIn(AUTH, true).put("auth",
        AUTH.getJsonObject("auth").copy().put("routes", routes)));
    Buffer spec;
    try (InputStream in = getClass().getResourceAsStream("/" + ApiDocs.SPEC_RESOURCE)) {
      spec = Buffer.buffer(in.readAllBytes());
    }
    String text = dev.gather.openapi.OpenApiDocument.served(spec, config.aggregates().values(), config.auth())
        .toString();
    assertEquals(List.of(), new OpenAPIV3Parser().readContents(text, null, new ParseOptions()).getMessages());
    @SuppressWarnings("unchecked")
    Map<String, Map<String, Object>> paths = (Map<String, Map<String, Object>>) map(new Yaml().load(text)).get("paths");
    paths.forEach((path, operations) -> operations.forEach((method, operation) -> {
      if (!HTTP_METHODS.contains(method)) {
        return;
      }
      Object security = map(operation).get("security");
      if (path.startsWith("/health/")) {
        assertEquals(List.of(), security, path);
      } else {
        assertEquals(2, ((List<?>) security).size(), method + " " + path + ": " + security);
        assertTrue(map(map(operation).get("responses")).containsKey("401"), method + " " + path);
      }
    }));
  }

  @Test
  void withoutCredentialsConfiguredNoOperationOverridesTheTopLevelSecurity() throws Exception {
    served().forEach((path, operations) -> operations.forEach((method, operation) ->
        assertFalse(HTTP_METHODS.contains(method) && map(operation).containsKey("security"), path)));
  }

  @Test
  void withoutRateLimitsNoOperationListsA429() throws Exception {
    served().forEach((path, item) -> item.forEach((method, operation) -> {
      if (HTTP_METHODS.contains(method)) {
        assertFalse(map(map(operation).get("responses")).containsKey("429"), method + " " + path);
      }
    }));
  }

  @Test
  void everyHandWrittenPathItemNamesTheRouteGroupItBelongsTo() throws Exception {
    try (InputStream in = getClass().getResourceAsStream("/" + ApiDocs.SPEC_RESOURCE)) {
      Map<String, Object> spec = new Yaml().load(in);
      map(spec.get("paths")).forEach((path, item) -> {
        Object group = map(item).get("x-gather-group");
        assertTrue(group instanceof String key && dev.gather.config.RouteGroup.byKey(key).isPresent(),
            path + " names no route group: " + group);
      });
    }
  }

  /**
   * A config that limits the users and proxy groups and the aggregates (dashboard by its own rate), failing closed:
   * their operations list 429 with the rate-limit fields, and 503 where they did not already; jobs, unlimited,
   * and health, never limited, do not; and the whole is still valid OpenAPI without a message.
   */
  @Test
  void theRoutesTheRunningConfigLimitsList429And503WhenTheLimiterFailsClosed() throws Exception {
    JsonObject limited = AGGREGATES.copy();
    limited.put("rateLimit", new JsonObject().put("failOpen", false).put("routes", new JsonObject()
        .put("users", new JsonObject().put("perSecond", 5))
        .put("proxy", new JsonObject().put("perSecond", 5))
        .put("aggregates", new JsonObject().put("perSecond", 50))));
    limited.getJsonObject("aggregates").getJsonObject("dashboard")
        .put("rate", new JsonObject().put("perSecond", 10).put("burst", 20));
    limited.getJsonObject("aggregates").put("feed", new JsonObject().put("path", "/aggregate/feed")
        .put("sources", new JsonObject().put("posts", new JsonObject().put("upstream", "users").put("path", "/posts"))));
    try (RunningGather limitedApp = RunningGather.start(limited)) {
      String text = limitedApp.client.get("/openapi.yaml").send().await(10, TimeUnit.SECONDS).bodyAsString();
      ParseOptions options = new ParseOptions();
      options.setResolve(true);
      SwaggerParseResult result = new OpenAPIV3Parser().readContents(text, null, options);
      assertEquals(List.of(), result.getMessages());

      Map<String, Object> paths = map(((Map<String, Object>) new Yaml().load(text)).get("paths"));
      Map<String, Object> dashboard = map(path(paths, "/aggregate/dashboard/{userId}", "get", "responses"));
      assertEquals("#/components/responses/RateLimited", path(dashboard, "429", "$ref"));
      assertEquals("#/components/responses/ProblemRetryAfter", path(dashboard, "503", "$ref"),
          "a required source's 503 is kept");
      assertTrue(map(path(dashboard, "200", "headers")).keySet().containsAll(Set.of("RateLimit", "RateLimit-Policy")));
      Map<String, Object> feed = map(path(paths, "/aggregate/feed", "get", "responses"));
      assertEquals("#/components/responses/RateLimited", path(feed, "429", "$ref"));
      assertEquals("#/components/responses/RateLimiterUnavailable", path(feed, "503", "$ref"));

      assertEquals("#/components/responses/RateLimited", path(paths, "/users/{id}", "delete", "responses", "429", "$ref"));
      assertEquals("#/components/responses/RateLimiterUnavailable",
          path(paths, "/users/{id}", "get", "responses", "503", "$ref"));
      for (String method : List.of("get", "head", "post", "put", "patch", "delete", "options")) {
        assertEquals("#/components/responses/RateLimited",
            path(paths, "/proxy/{upstream}/{path}", method, "responses", "429", "$ref"), method);
      }
      assertFalse(map(path(paths, "/jobs", "post", "responses")).containsKey("429"), "jobs are not limited");
      assertFalse(map(path(paths, "/health/ready", "get", "responses")).containsKey("429"), "health never is");

      Map<String, Object> rateLimited = map(path(new Yaml().<Map<String, Object>>load(text), "components", "responses",
          "RateLimited", "headers"));
      assertEquals(Set.of("Retry-After", "RateLimit", "RateLimit-Policy"), rateLimited.keySet());
    }
  }


  private static Map<String, Map<String, Object>> served() throws Exception {
    String text = app.client.get("/openapi.yaml").send().await(10, TimeUnit.SECONDS).bodyAsString();
    Map<String, Object> spec = new Yaml().load(text);
    @SuppressWarnings("unchecked")
    Map<String, Map<String, Object>> paths = (Map<String, Map<String, Object>>) spec.get("paths");
    return paths;
  }

  private static Map<String, Object> operation(String path, String method) throws Exception {
    return map(served().get(path).get(method));
  }

  private static Object path(Object tree, String... keys) {
    Object at = tree;
    for (String key : keys) {
      at = map(at).get(key);
    }
    return at;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object value) {
    return (Map<String, Object>) value;
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> list(Object value) {
    return (List<Map<String, Object>>) value;
  }

  @Test
  void theSpecIsServedAsYaml(VertxTestContext test) {
    app.client.get("/openapi.yaml").send().onComplete(test.succeeding(response -> test.verify(() -> {
      assertEquals(200, response.statusCode());
      assertEquals("application/yaml", response.getHeader("Content-Type"));
      assertTrue(response.bodyAsString().startsWith("openapi: 3.1.0"));
      test.completeNow();
    })));
  }

  @Test
  void theDocsPageLoadsItsAssetsFromGatherItselfNotACdn(VertxTestContext test) {
    app.client.get("/docs").send().onComplete(test.succeeding(page -> test.verify(() -> {
      assertEquals(200, page.statusCode());
      String html = page.bodyAsString();
      assertFalse(html.contains("http://") || html.contains("https://"), "no external URLs in /docs");
      Matcher assets = Pattern.compile("(?:src|href)=\"(/docs/assets/[^\"]+)\"").matcher(html);
      Set<String> urls = new TreeSet<>();
      while (assets.find()) {
        urls.add(assets.group(1));
      }
      assertEquals(3, urls.size(), html);
      var checks = urls.stream().map(url -> app.client.get(url).send().map(asset -> {
        test.verify(() -> {
          assertEquals(200, asset.statusCode(), url);
          assertTrue(asset.body().length() > 1000, url);
        });
        return asset;
      })).toList();
      io.vertx.core.Future.all(checks).onComplete(test.succeedingThenComplete());
    })));
  }
}
