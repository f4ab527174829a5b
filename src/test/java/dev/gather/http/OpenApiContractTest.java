package dev.gather.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gather.Gather;
import dev.gather.config.GatherConfig;
import dev.gather.jobs.ComputeApi;
import dev.gather.jobs.JobHandlers;
import dev.gather.jobs.JobsApi;
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

  @BeforeAll
  static void start() {
    app = RunningGather.start();
  }

  @AfterAll
  static void stop() throws Exception {
    app.close();
  }

  @Test
  void theSpecDescribesExactlyTheRoutesTheRouterHas(Vertx vertx) throws Exception {
    Set<String> routed = new TreeSet<>();
    Upstreams upstreams = new Upstreams(vertx, Map.of(), new UpstreamGuards(vertx, Map.of(), new SimpleMeterRegistry()));
    // Only the routes are read: handlers that would query the database get none.
    Router router = ApiRouter.create(vertx, 1024, new AccessLog(vertx, Ticker.SYSTEM),
        new RequestMeter(new HttpServerMeters(new SimpleMeterRegistry()), Ticker.SYSTEM), new RequestTimeout(1000, Timers.timeouts(vertx)), new Problems(),
        new OpsApi(new ServiceState(1), null, Gather.newRegistry(), new UpstreamGuards(vertx, Map.of(), new SimpleMeterRegistry())), new ApiDocs(Buffer.buffer()), new UsersApi(null, null),
        new AggregatesApi(upstreams, null, 1000, new SimpleMeterRegistry(), Timers.timeouts(vertx)), List.of(), new ProxyApi(upstreams),
        new JobsApi(null, JobHandlers.load(), GatherConfig.from(new JsonObject()).jobs()),
        new ComputeApi(vertx, JobHandlers.load(), 1000));
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
