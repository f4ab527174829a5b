package dev.gather.fanout;

import static dev.gather.fanout.TestAggregates.source;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gather.RunningGather;
import dev.gather.config.GatherConfig;
import dev.gather.openapi.AggregateOperations;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.client.HttpResponse;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code ?fields=}: the data is projected to the selected fields, and the sources no selected field needs are
 * never called (a loopback upstream counts every call by route).
 */
class FieldSelectionTest {
  private static Vertx upstreamVertx;
  private static HttpServer upstream;
  private static RunningGather app;
  private static final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();

  @BeforeAll
  static void start() throws Exception {
    upstreamVertx = Vertx.vertx();
    Router router = Router.router(upstreamVertx);
    router.route().handler(ctx -> {
      calls.computeIfAbsent(ctx.request().path().replaceAll("/[0-9]+$", ""), p -> new AtomicInteger()).incrementAndGet();
      ctx.next();
    });
    router.get("/profiles/:id").handler(ctx -> {
      int id = Integer.parseInt(ctx.pathParam("id"));
      ctx.json(new JsonObject().put("id", id).put("name", "user" + id).put("email", "u" + id + "@example.com")
          .put("friendIds", new JsonArray().add(id + 1).add(id + 2)));
    });
    router.get("/friends/:id").handler(ctx -> ctx.json(new JsonObject().put("id", Integer.parseInt(ctx.pathParam("id")))
        .put("name", "friend" + ctx.pathParam("id")).put("email", "secret")));
    router.get("/posts").handler(ctx -> ctx.json(new JsonArray()
        .add(new JsonObject().put("id", 1).put("title", "one").put("body", "long text"))
        .add(new JsonObject().put("id", 2).put("title", "two").put("body", "more text"))));
    router.get("/account/:id").handler(ctx -> ctx.json(new JsonObject().put("plan", "pro")));
    router.get("/guard/:id").handler(ctx -> ctx.json(new JsonObject().put("member", true)));
    upstream = upstreamVertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1").await(5, TimeUnit.SECONDS);
    app = RunningGather.start(config(upstream.actualPort()));
  }

  static JsonObject config(int port) {
    JsonObject sources = new JsonObject()
        .put("guard", source("/guard/{userId}").put("required", true))
        .put("profile", source("/profiles/{userId}"))
        .put("friends", source("/friends/{id}").put("forEach", "profile.friendIds").put("as", "id"))
        .put("posts", source("/posts?userId={userId}"))
        .put("account", source("/account/{userId}"));
    return new JsonObject()
        .put("upstreams", new JsonObject().put("test", new JsonObject()
            .put("url", "http://127.0.0.1:" + port).put("timeoutMs", 1000)))
        .put("aggregates", new JsonObject()
            .put("page", new JsonObject().put("path", "/aggregate/page/:userId").put("sources", sources.copy())
                .put("fields", new JsonArray().add("profile").add("profile.name").add("friends.name").add("posts")
                    .add("posts.title").add("account")))
            .put("card", new JsonObject().put("path", "/aggregate/card/:userId").put("envelope", false)
                .put("sources", sources.copy())
                .put("shape", new JsonObject().put("name", "{profile.name}").put("friends", "{friends[].name}")
                    .put("titles", "{posts[].title}").put("plan", "{account.plan}").put("version", 2))
                .put("fields", new JsonArray().add("name").add("friends").add("titles").add("plan").add("version")))
            .put("summary", new JsonObject().put("path", "/aggregate/summary/:userId")
                .put("sources", sources.copy())
                .put("shape", "{name: profile.name, titles: posts[].title}")
                .put("fields", new JsonArray()
                    .add(new JsonObject().put("field", "name").put("sources", new JsonArray().add("profile")))
                    .add(new JsonObject().put("field", "titles").put("sources", new JsonArray().add("posts"))))));
  }

  @AfterAll
  static void stop() throws Exception {
    app.close();
    upstreamVertx.close().await(10, TimeUnit.SECONDS);
  }

  @BeforeEach
  void resetCounts() {
    calls.clear();
  }

  private static int calls(String route) {
    AtomicInteger count = calls.get(route);
    return count == null ? 0 : count.get();
  }

  private static HttpResponse<Buffer> get(String uri) throws Exception {
    return app.client.get(uri).send().await(10, TimeUnit.SECONDS);
  }

  @Test
  void selectedFieldsProjectTheDataAndTheSourcesNoSelectedFieldNeedsAreNeverCalled() throws Exception {
    HttpResponse<Buffer> response = get("/aggregate/page/1?fields=profile.name,friends.name");
    assertEquals(200, response.statusCode(), response.bodyAsString());
    JsonObject body = response.bodyAsJsonObject();
    assertEquals(new JsonObject().put("profile", new JsonObject().put("name", "user1"))
        .put("friends", new JsonArray().add(new JsonObject().put("name", "friend2"))
            .add(new JsonObject().put("name", "friend3"))), body.getJsonObject("data"));
    assertEquals(0, calls("/posts"), "no selected field needs posts");
    assertEquals(0, calls("/account"), "no selected field needs account");
    assertEquals(1, calls("/profiles"));
    assertEquals(2, calls("/friends"));
    JsonObject posts = body.getJsonObject("sources").getJsonObject("posts");
    assertEquals(true, posts.getBoolean("skipped"), posts.encode());
    assertEquals(true, posts.getBoolean("pruned"), posts.encode());
    assertNull(body.getJsonObject("sources").getJsonObject("profile").getValue("pruned"));
    assertTrue(body.getBoolean("complete"), "a pruned source is not an error");
  }

  @Test
  void aSourceThatASelectedFieldsSourceWaitsForStillRunsButStaysOutOfTheData() throws Exception {
    HttpResponse<Buffer> response = get("/aggregate/page/1?fields=friends.name");
    assertEquals(200, response.statusCode(), response.bodyAsString());
    assertEquals(1, calls("/profiles"), "friends walks profile.friendIds, so profile runs");
    assertEquals(2, calls("/friends"));
    JsonObject body = response.bodyAsJsonObject();
    assertEquals(new JsonObject().put("friends", new JsonArray().add(new JsonObject().put("name", "friend2"))
        .add(new JsonObject().put("name", "friend3"))), body.getJsonObject("data"));
    assertNull(body.getJsonObject("sources").getJsonObject("profile").getValue("skipped"));
  }

  @Test
  void aRequiredSourceRunsWhateverIsSelected() throws Exception {
    HttpResponse<Buffer> response = get("/aggregate/page/1?fields=posts.title");
    assertEquals(200, response.statusCode(), response.bodyAsString());
    assertEquals(1, calls("/guard"), "a required source decides the status, so it is never selected away");
    assertEquals(0, calls("/profiles") + calls("/friends") + calls("/account"));
    assertEquals(new JsonObject().put("posts", new JsonArray().add(new JsonObject().put("title", "one"))
        .add(new JsonObject().put("title", "two"))), response.bodyAsJsonObject().getJsonObject("data"));
  }

  @Test
  void anUnknownFieldIs400NamingItAndTheAllowedOnesAndCallsNothing() throws Exception {
    HttpResponse<Buffer> response = get("/aggregate/page/1?fields=profile.name,profile.email");
    assertEquals(400, response.statusCode(), response.bodyAsString());
    assertEquals("application/problem+json", response.getHeader("Content-Type"));
    JsonObject problem = response.bodyAsJsonObject();
    assertEquals("urn:gather:problem:unknown-field", problem.getString("type"));
    assertEquals("profile.email", problem.getString("field"));
    assertTrue(problem.getString("detail").contains("\"profile.email\""), problem.getString("detail"));
    assertEquals(new JsonArray().add("profile").add("profile.name").add("friends.name").add("posts").add("posts.title")
        .add("account"), problem.getJsonArray("allowed"));
    assertTrue(calls.isEmpty(), "nothing is called for a request that is refused: " + calls);
  }

  @Test
  void anEmptySelectionIs400() throws Exception {
    HttpResponse<Buffer> response = get("/aggregate/page/1?fields=");
    assertEquals(400, response.statusCode(), response.bodyAsString());
    assertTrue(response.bodyAsJsonObject().getString("detail").startsWith("fields names no field"));
  }

  @Test
  void withoutFieldsEverySourceRunsAndTheDataIsWhole() throws Exception {
    HttpResponse<Buffer> response = get("/aggregate/page/1");
    assertEquals(200, response.statusCode(), response.bodyAsString());
    JsonObject data = response.bodyAsJsonObject().getJsonObject("data");
    assertEquals(java.util.Set.of("guard", "profile", "friends", "posts", "account"), data.fieldNames());
    assertEquals("u1@example.com", data.getJsonObject("profile").getString("email"));
    assertEquals(1, calls("/posts"));
    assertEquals(1, calls("/account"));
  }

  @Test
  void withAShapeTemplateAFieldNeedsOnlyTheSourcesItsKeysExpressionsRead() throws Exception {
    HttpResponse<Buffer> response = get("/aggregate/card/1?fields=titles,version");
    assertEquals(200, response.statusCode(), response.bodyAsString());
    assertEquals(new JsonObject().put("titles", new JsonArray().add("one").add("two")).put("version", 2),
        response.bodyAsJsonObject(), "the plain answer is the projected shape");
    assertEquals(1, calls("/posts"));
    assertEquals(0, calls("/profiles") + calls("/friends") + calls("/account"), String.valueOf(calls));
  }

  @Test
  void withAShapeTemplateASelectedKeyReadingAForEachRunsItsWholeChain() throws Exception {
    HttpResponse<Buffer> response = get("/aggregate/card/1?fields=friends");
    assertEquals(200, response.statusCode(), response.bodyAsString());
    assertEquals(new JsonObject().put("friends", new JsonArray().add("friend2").add("friend3")),
        response.bodyAsJsonObject());
    assertEquals(1, calls("/profiles"));
    assertEquals(0, calls("/posts") + calls("/account"));
  }

  @Test
  void withAShapeExpressionTheSourcesAnEntryDeclaresAreTheOnesThatRun() throws Exception {
    HttpResponse<Buffer> response = get("/aggregate/summary/1?fields=titles");
    assertEquals(200, response.statusCode(), response.bodyAsString());
    assertEquals(new JsonObject().put("titles", new JsonArray().add("one").add("two")),
        response.bodyAsJsonObject().getJsonObject("data"));
    assertEquals(1, calls("/posts"));
    assertEquals(0, calls("/profiles"), String.valueOf(calls));
  }

  @Test
  void theOpenApiOperationListsTheFieldsParameterWithItsAllowedValues() {
    GatherConfig config = GatherConfig.from(config(9));
    JsonObject get = AggregateOperations.pathItems(config.aggregates().values())
        .getJsonObject("/aggregate/page/{userId}").getJsonObject("get");
    JsonObject fields = get.getJsonArray("parameters").stream().map(JsonObject.class::cast)
        .filter(p -> "fields".equals(p.getString("name"))).findFirst().orElseThrow();
    assertEquals("query", fields.getString("in"));
    assertFalse(fields.getBoolean("required"));
    assertEquals(false, fields.getBoolean("explode"));
    assertEquals(new JsonArray().add("profile").add("profile.name").add("friends.name").add("posts").add("posts.title")
        .add("account"), fields.getJsonObject("schema").getJsonObject("items").getJsonArray("enum"));
  }
}
