package dev.gather.fanout;

import static dev.gather.fanout.TestAggregates.source;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gather.RunningGather;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Aggregates that build real requests: routed on any method, sending bodies, headers and query parameters made
 * from the client's request, and answering an upstream's "not found" as their own. The upstream echoes what it got.
 */
class FanoutRequestsTest {
  private static Vertx upstreamVertx;
  private static HttpServer upstream;
  private static RunningGather app;
  private static final Map<Integer, JsonObject> items = new ConcurrentHashMap<>();
  private static final AtomicInteger nextId = new AtomicInteger(100);

  @BeforeAll
  static void start() throws Exception {
    upstreamVertx = Vertx.vertx();
    Router router = Router.router(upstreamVertx);
    router.route().handler(BodyHandler.create());
    router.post("/items").handler(ctx -> {
      JsonObject item = ctx.body().asJsonObject().copy().put("id", nextId.incrementAndGet());
      items.put(item.getInteger("id"), item);
      ctx.response().setStatusCode(201).putHeader("Content-Type", "application/json").end(item.encode());
    });
    router.get("/items/:id").handler(ctx -> {
      JsonObject item = items.get(Integer.parseInt(ctx.pathParam("id")));
      if (item == null) {
        ctx.response().setStatusCode(404).end("{}");
      } else {
        ctx.json(item);
      }
    });
    router.get("/items/:id/stock").handler(ctx -> ctx.json(new JsonObject()
        .put("item", Integer.parseInt(ctx.pathParam("id"))).put("inStock", 5)));
    router.get("/users/:id").handler(ctx -> {
      if (ctx.pathParam("id").equals("99")) {
        ctx.response().setStatusCode(404).end("{\"detail\":\"no user 99\"}");
      } else {
        ctx.json(new JsonObject().put("id", ctx.pathParam("id")));
      }
    });
    router.get("/delay/:ms").handler(ctx -> upstreamVertx.setTimer(Long.parseLong(ctx.pathParam("ms")),
        t -> ctx.json(new JsonObject().put("waited", Long.parseLong(ctx.pathParam("ms"))))));
    router.route("/echo/*").handler(FanoutRequestsTest::echo);
    upstream = upstreamVertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1").await(5, TimeUnit.SECONDS);
    String base = "http://127.0.0.1:" + upstream.actualPort();

    JsonObject config = new JsonObject()
        .put("upstreams", new JsonObject()
            .put("test", new JsonObject().put("url", base).put("timeoutMs", 1000)))
        .put("queries", new JsonObject().put("user_by_id", "SELECT id, name, email FROM users WHERE id = $1"))
        .put("aggregates", new JsonObject()
            .put("createItem", new JsonObject().put("method", "POST").put("sources", new JsonObject()
                .put("created", source("/items").put("method", "POST").put("required", true)
                    .put("body", new JsonObject().put("name", "{body.name}").put("tags", "{body.tags}")
                        .put("qty", "{body.qty}").put("note", "made for {body.name}")
                        .put("shelf", new JsonObject().put("row", "{body.shelf.row}").put("fixed", true))))
                .put("item", source("/items/{created.id}").put("required", true))
                .put("stock", source("/items/{created.id}/stock"))))
            .put("relay", new JsonObject().put("method", "PATCH").put("path", "/aggregate/relay/:id")
                .put("sources", new JsonObject().put("echo", source("/echo/{id}").put("method", "PATCH")
                    .put("required", true)
                    .put("body", "{body}")
                    .put("headers", new JsonObject().put("X-Tenant", "{header.X-Tenant}").put("X-Static", "fixed"))
                    .put("query", new JsonObject().put("page", "{page}").put("tag", new JsonArray().add("a").add("{id}"))
                        .put("ids", "{body.ids}"))
                    .put("forwardQuery", new JsonArray().add("sort")))))
            .put("profile", new JsonObject().put("path", "/aggregate/profile/:userId").put("sources", new JsonObject()
                .put("user", source("/users/{userId}").put("required", true).put("passStatus", new JsonArray().add(404)))))
            .put("account", new JsonObject().put("path", "/aggregate/account/:userId").put("sources", new JsonObject()
                .put("account", new JsonObject().put("query", "user_by_id").put("params", new JsonArray().add("{userId}"))
                    .put("one", true).put("required", true))))
            .put("maybeAccount", new JsonObject().put("path", "/aggregate/maybeAccount/:userId").put("sources",
                new JsonObject().put("account", new JsonObject().put("query", "user_by_id")
                    .put("params", new JsonArray().add("{userId}")).put("one", true))))
            .put("noted", new JsonObject().put("method", "POST").put("sources", new JsonObject()
                .put("echo", source("/echo/noted").put("required", true)
                    .put("headers", new JsonObject().put("X-Static", "{body.note}")))))
            .put("forget", new JsonObject().put("method", "DELETE").put("path", "/aggregate/forget/:userId")
                .put("sources", new JsonObject().put("user", source("/users/{userId}"))))
            .put("hurried", new JsonObject().put("sources", new JsonObject()
                .put("slow", source("/delay/600").put("timeoutMs", 100)))));
    app = RunningGather.start(config);
  }

  /** Answers with everything it got: method, the headers a test sets, the query parameters, and the body. */
  private static void echo(RoutingContext ctx) {
    JsonObject query = new JsonObject();
    MultiMap params = ctx.queryParams();
    params.names().forEach(name -> query.put(name, new JsonArray(params.getAll(name))));
    Buffer body = ctx.body().buffer();
    ctx.json(new JsonObject()
        .put("method", ctx.request().method().name())
        .put("path", ctx.request().path())
        .put("tenant", ctx.request().getHeader("X-Tenant"))
        .put("static", ctx.request().getHeader("X-Static"))
        .put("contentType", ctx.request().getHeader("Content-Type"))
        .put("query", query)
        .put("body", body == null || body.length() == 0 ? null : Json.decodeValue(body)));
  }

  @AfterAll
  static void stop() throws Exception {
    app.close();
    upstreamVertx.close().await(10, TimeUnit.SECONDS);
  }

  private static HttpResponse<Buffer> get(String uri) throws Exception {
    return app.client.get(uri).send().await(10, TimeUnit.SECONDS);
  }

  private static HttpResponse<Buffer> post(String uri, JsonObject body) throws Exception {
    return app.client.post(uri).sendJsonObject(body).await(10, TimeUnit.SECONDS);
  }

  @Test
  void aPostAggregateCreatesFromTheClientsBodyThenReadsTwoMoreWithTheNewId() throws Exception {
    HttpResponse<Buffer> response = post("/aggregate/createItem", new JsonObject().put("name", "lamp")
        .put("tags", new JsonArray().add("desk").add("led")).put("qty", 3).put("shelf", new JsonObject().put("row", 2)));
    assertEquals(200, response.statusCode(), response.bodyAsString());
    JsonObject data = response.bodyAsJsonObject().getJsonObject("data");
    int id = data.getJsonObject("created").getInteger("id");
    assertEquals("lamp", data.getJsonObject("item").getString("name"));
    assertEquals(id, data.getJsonObject("item").getInteger("id"));
    assertEquals(id, data.getJsonObject("stock").getInteger("item"));
    assertEquals(5, data.getJsonObject("stock").getInteger("inStock"));
  }

  @Test
  void aBodyTemplateKeepsTheJsonTypesOfWhatItPlaces() throws Exception {
    HttpResponse<Buffer> response = post("/aggregate/createItem", new JsonObject().put("name", "chair")
        .put("tags", new JsonArray().add("oak")).put("qty", 4).put("shelf", new JsonObject().put("row", 7)));
    assertEquals(200, response.statusCode(), response.bodyAsString());
    JsonObject sent = items.get(response.bodyAsJsonObject().getJsonObject("data").getJsonObject("created")
        .getInteger("id"));
    assertEquals(new JsonObject().put("name", "chair").put("tags", new JsonArray().add("oak")).put("qty", 4)
        .put("note", "made for chair").put("shelf", new JsonObject().put("row", 7).put("fixed", true))
        .put("id", sent.getInteger("id")), sent);
  }

  @Test
  void aMissingBodyFieldIs400NamingIt() throws Exception {
    HttpResponse<Buffer> response = post("/aggregate/createItem", new JsonObject().put("name", "x").put("qty", 1));
    assertEquals(400, response.statusCode(), response.bodyAsString());
    JsonObject error = response.bodyAsJsonObject().getJsonObject("errors").getJsonObject("created");
    assertEquals("missing_parameter", error.getString("kind"));
    assertTrue(error.getString("detail").contains("body field tags"), error.getString("detail"));
  }

  @Test
  void aClientBodyThatIsNotJsonIs400ProblemJson() throws Exception {
    HttpResponse<Buffer> response = app.client.post("/aggregate/createItem").putHeader("Content-Type", "application/json")
        .sendBuffer(Buffer.buffer("{not json")).await(10, TimeUnit.SECONDS);
    assertEquals(400, response.statusCode(), response.bodyAsString());
    assertEquals("application/problem+json", response.getHeader("Content-Type"));
  }

  @Test
  void anAggregateAnswersOnlyItsOwnMethod() throws Exception {
    assertEquals(405, get("/aggregate/createItem").statusCode());
  }

  @Test
  void headersQueryForwardedQueryAndTheClientsBodyReachTheUpstream() throws Exception {
    JsonObject body = new JsonObject().put("ids", new JsonArray().add(1).add(2)).put("note", "hi");
    HttpResponse<Buffer> response = app.client.patch("/aggregate/relay/7?page=2&sort=name&sort=-age&other=no")
        .putHeader("X-Tenant", "acme").sendJsonObject(body).await(10, TimeUnit.SECONDS);
    assertEquals(200, response.statusCode(), response.bodyAsString());
    JsonObject echo = response.bodyAsJsonObject().getJsonObject("data").getJsonObject("echo");
    assertEquals("PATCH", echo.getString("method"));
    assertEquals("/echo/7", echo.getString("path"));
    assertEquals("acme", echo.getString("tenant"));
    assertEquals("fixed", echo.getString("static"));
    assertEquals("application/json", echo.getString("contentType"));
    assertEquals(body, echo.getJsonObject("body"));
    assertEquals(new JsonObject()
        .put("page", new JsonArray().add("2"))
        .put("tag", new JsonArray().add("a").add("7"))
        .put("ids", new JsonArray().add("1").add("2"))
        .put("sort", new JsonArray().add("name").add("-age")), echo.getJsonObject("query"));
  }

  @Test
  void aBodyNoTemplateReadsIsLeftUnreadAndTheConnectionServesTheNextRequest() throws Exception {
    Buffer big = Buffer.buffer("{\"pad\":\"" + "x".repeat(200_000) + "\"}");
    for (int i = 0; i < 3; i++) {
      HttpResponse<Buffer> response = app.client.delete("/aggregate/forget/5").sendBuffer(big)
          .await(10, TimeUnit.SECONDS);
      assertEquals(200, response.statusCode(), response.bodyAsString());
    }
  }

  @Test
  void aHeaderValueFromTheClientCannotCarryALineBreak() throws Exception {
    HttpResponse<Buffer> response = post("/aggregate/noted", new JsonObject().put("note", "a\r\nX-Admin: yes"));
    assertEquals(400, response.statusCode(), response.bodyAsString());
    assertEquals("bad_parameter",
        response.bodyAsJsonObject().getJsonObject("errors").getJsonObject("echo").getString("kind"));
    assertEquals("plain", post("/aggregate/noted", new JsonObject().put("note", "plain")).bodyAsJsonObject()
        .getJsonObject("data").getJsonObject("echo").getString("static"));
  }

  @Test
  void aMissingHeaderThatATemplateReadsIs400NamingIt() throws Exception {
    HttpResponse<Buffer> response = app.client.patch("/aggregate/relay/7?page=1")
        .sendJsonObject(new JsonObject().put("ids", new JsonArray())).await(10, TimeUnit.SECONDS);
    assertEquals(400, response.statusCode(), response.bodyAsString());
    assertTrue(response.bodyAsJsonObject().getJsonObject("errors").getJsonObject("echo").getString("detail")
        .contains("X-Tenant"), response.bodyAsString());
  }

  @Test
  void aSourcesOwnTimeoutCutsItBeforeItsUpstreams() throws Exception {
    HttpResponse<Buffer> response = get("/aggregate/hurried");
    JsonObject body = response.bodyAsJsonObject();
    assertEquals("timeout", body.getJsonObject("errors").getJsonObject("slow").getString("kind"), body.encode());
    assertTrue(body.getJsonObject("sources").getJsonObject("slow").getLong("ms") < 500, body.encode());
  }

  @Test
  void aPassedStatusOfARequiredSourceIsTheAggregatesAnswerNamingTheSource() throws Exception {
    HttpResponse<Buffer> response = get("/aggregate/profile/99");
    assertEquals(404, response.statusCode(), response.bodyAsString());
    assertEquals("application/problem+json", response.getHeader("Content-Type"));
    JsonObject problem = response.bodyAsJsonObject();
    assertEquals("user", problem.getString("source"));
    assertTrue(problem.getString("detail").startsWith("source user: "), problem.getString("detail"));
    assertTrue(problem.getString("type").endsWith("upstream-status"), problem.getString("type"));
    assertEquals(200, get("/aggregate/profile/1").statusCode());
  }

  @Test
  void aOneRowSqlSourceIsThatRowAsAnObject() throws Exception {
    int id = createUser("one-row@example.com");
    HttpResponse<Buffer> response = get("/aggregate/account/" + id);
    assertEquals(200, response.statusCode(), response.bodyAsString());
    JsonObject account = response.bodyAsJsonObject().getJsonObject("data").getJsonObject("account");
    assertEquals("one-row@example.com", account.getString("email"));
  }

  @Test
  void anOptionalOneRowSourceWithNoRowIsNull() throws Exception {
    HttpResponse<Buffer> response = get("/aggregate/maybeAccount/987654");
    assertEquals(200, response.statusCode(), response.bodyAsString());
    JsonObject body = response.bodyAsJsonObject();
    assertTrue(body.getJsonObject("data").containsKey("account"), body.encode());
    assertNull(body.getJsonObject("data").getValue("account"));
    assertTrue(body.getBoolean("complete"));
  }

  @Test
  void aRequiredOneRowSourceWithNoRowIs404NamingTheSource() throws Exception {
    HttpResponse<Buffer> response = get("/aggregate/account/987654");
    assertEquals(404, response.statusCode(), response.bodyAsString());
    assertEquals("application/problem+json", response.getHeader("Content-Type"));
    assertEquals("account", response.bodyAsJsonObject().getString("source"));
  }

  private static int createUser(String email) throws Exception {
    HttpResponse<Buffer> created = post("/users", new JsonObject().put("email", email).put("name", "One Row"));
    assertEquals(201, created.statusCode(), created.bodyAsString());
    return created.bodyAsJsonObject().getInteger("id");
  }
}
