package dev.gather.fanout;

import static dev.gather.fanout.TestAggregates.source;
import static dev.gather.fanout.TestAggregates.aggregate;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gather.RunningGather;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.client.HttpResponse;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Shaping an aggregate's answer (select, shape, envelope: false) and deciding what runs (when, fallback). */
class ShapingTest {
  private static Vertx upstreamVertx;
  private static HttpServer upstream;
  private static RunningGather app;
  private static final AtomicInteger vipCalls = new AtomicInteger();

  @BeforeAll
  static void start() throws Exception {
    upstreamVertx = Vertx.vertx();
    Router router = Router.router(upstreamVertx);
    router.get("/users/:id").handler(ctx -> {
      int id = Integer.parseInt(ctx.pathParam("id"));
      ctx.json(new JsonObject().put("id", id).put("name", "user" + id).put("email", "u" + id + "@example.com")
          .put("score", 1.5).put("friendIds", new JsonArray().add(id + 1).add(id + 2)));
    });
    router.get("/vip/:id").handler(ctx -> {
      vipCalls.incrementAndGet();
      ctx.json(new JsonObject().put("level", "gold").put("since", 2020));
    });
    router.get("/orders").handler(ctx -> ctx.json(new JsonArray()
        .add(new JsonObject().put("id", 1).put("total", 9.5).put("secret", "s1"))
        .add(new JsonObject().put("id", 2).put("total", 20).put("secret", "s2"))));
    router.get("/spaced").handler(ctx -> ctx.response().end("{\"a\": 1.50}"));
    router.get("/status/:code").handler(ctx -> ctx.response().setStatusCode(Integer.parseInt(ctx.pathParam("code")))
        .end("{}"));
    upstream = upstreamVertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1").await(5, TimeUnit.SECONDS);

    JsonObject profile = source("/users/{userId}").put("required", true);
    JsonObject orders = source("/orders").put("allow", new JsonArray().add("id").add("total"))
        .put("rename", new JsonObject().put("total", "amount"));
    JsonObject config = new JsonObject()
        .put("upstreams", new JsonObject().put("test", new JsonObject()
            .put("url", "http://127.0.0.1:" + upstream.actualPort()).put("timeoutMs", 1000)))
        .put("aggregates", new JsonObject()
            .put("template", aggregate("/aggregate/template/:userId", new JsonObject()
                .put("profile", profile.copy().put("select", "{id: id, name: name, friendIds: friendIds}"))
                .put("orders", orders)
                .put("down", source("/status/500")))
                .put("shape", new JsonObject()
                    .put("id", "{profile.id}").put("name", "{profile.name}").put("friends", "{profile.friendIds}")
                    .put("amounts", "{orders[].amount}").put("down", "{down}").put("asked", "{params.userId}")
                    .put("kind", "user").put("version", 2).put("tags", new JsonArray().add("{profile.name}").add("x"))))
            .put("selected", aggregate("/aggregate/selected/:userId", new JsonObject()
                .put("profile", profile.copy().put("select", "{id: id, friendIds: friendIds}"))
                .put("best", source("/users/{profile.friendIds.0}").put("deny", new JsonArray().add("email")))
                .put("orders", orders)))
            .put("expression", aggregate("/aggregate/expression/:userId", new JsonObject()
                .put("profile", profile.copy())
                .put("orders", orders))
                .put("shape", "{name: profile.name, friends: length(profile.friendIds), biggest: max_by(orders, &amount).id}"))
            .put("plain", aggregate("/aggregate/plain/:userId", new JsonObject()
                .put("profile", profile.copy())
                .put("down", source("/status/503")))
                .put("envelope", false).put("shape", "{name: profile.name, down: down}"))
            .put("plainUnshaped", aggregate("/aggregate/plainUnshaped/:userId", new JsonObject()
                .put("profile", profile.copy().put("allow", new JsonArray().add("name"))))
                .put("envelope", false))
            .put("plainFailed", aggregate("/aggregate/plainFailed", new JsonObject()
                .put("main", source("/status/500").put("required", true))
                .put("extra", source("/status/404")))
                .put("envelope", false))
            .put("gated", aggregate("/aggregate/gated/:userId", new JsonObject()
                .put("profile", profile.copy())
                .put("vip", source("/vip/{userId}").put("when", "profile.id > `5`"))
                .put("vipFriend", source("/users/{vip.since}"))
                .put("asked", source("/users/1").put("when", "params.full == 'yes'"))))
            .put("fallback", aggregate("/aggregate/fallback", new JsonObject()
                .put("down", source("/status/500").put("fallback", new JsonObject().put("items", new JsonArray())))
                .put("reader", source("/users/{down.items.0}"))
                .put("fine", source("/users/1"))))
            .put("broken", aggregate("/aggregate/broken", new JsonObject()
                .put("profile", source("/users/1").put("select", "abs(name)"))
                .put("fine", source("/users/2"))
                .put("spaced", source("/spaced"))))
            .put("rescue", aggregate("/aggregate/rescue", new JsonObject()
                .put("down", source("/status/500"))
                .put("backup", source("/users/1").put("when", "down == null"))
                .put("confused", source("/users/2").put("when", "abs(params)"))
                .put("downFriend", source("/users/{down.friendId}").put("when", "length(down.friends) > `0`"))))
            .put("badShape", aggregate("/aggregate/badShape", new JsonObject()
                .put("profile", source("/users/1")))
                .put("shape", "abs(profile.name)")));
    app = RunningGather.start(config);
  }

  @AfterAll
  static void stop() throws Exception {
    app.close();
    upstreamVertx.close().await(10, TimeUnit.SECONDS);
  }

  private static HttpResponse<Buffer> get(String uri) throws Exception {
    return app.client.get(uri).send().await(10, TimeUnit.SECONDS);
  }

  @Test
  void aJsonTemplateShapesTheDataKeepingJsonTypesAndAFailedSourceReadsAsNull() throws Exception {
    HttpResponse<Buffer> response = get("/aggregate/template/7");
    assertEquals(200, response.statusCode(), response.bodyAsString());
    JsonObject body = response.bodyAsJsonObject();
    JsonObject data = body.getJsonObject("data");
    assertEquals(7, data.getValue("id"), "a number stays a number");
    assertEquals("user7", data.getValue("name"));
    assertEquals(new JsonArray().add(8).add(9), data.getValue("friends"), "a list stays a list");
    assertEquals(new JsonArray().add(9.5).add(20), data.getValue("amounts"), "renamed by the source, then read");
    assertTrue(data.containsKey("down"), response.bodyAsString());
    assertNull(data.getValue("down"), "a failed source reads as null");
    assertEquals("7", data.getValue("asked"), "parameters are strings");
    assertEquals("user", data.getValue("kind"));
    assertEquals(2, data.getValue("version"), "a literal keeps its type");
    assertEquals(new JsonArray().add("user7").add("x"), data.getValue("tags"));
    assertEquals("status", body.getJsonObject("errors").getJsonObject("down").getString("kind"));
    assertFalse(body.getBoolean("complete"));
  }

  @Test
  void selectAndTheFieldSugarReplaceASourcesDataForTheEnvelopeAndForWhatReadsIt() throws Exception {
    HttpResponse<Buffer> response = get("/aggregate/selected/7");
    assertEquals(200, response.statusCode(), response.bodyAsString());
    JsonObject data = response.bodyAsJsonObject().getJsonObject("data");
    assertEquals(new JsonObject().put("id", 7).put("friendIds", new JsonArray().add(8).add(9)), data.getJsonObject("profile"));
    assertEquals("user8", data.getJsonObject("best").getString("name"), "a template reads the selected data");
    assertFalse(data.getJsonObject("best").containsKey("email"), "deny drops a field");
    assertEquals(new JsonArray().add(new JsonObject().put("id", 1).put("amount", 9.5))
        .add(new JsonObject().put("id", 2).put("amount", 20)), data.getJsonArray("orders"),
        "allow and rename apply to each object of a list");
  }

  @Test
  void aShapeExpressionBuildsTheDataWithFunctions() throws Exception {
    HttpResponse<Buffer> response = get("/aggregate/expression/3");
    assertEquals(200, response.statusCode(), response.bodyAsString());
    assertEquals(new JsonObject().put("name", "user3").put("friends", 2).put("biggest", 2),
        response.bodyAsJsonObject().getJsonObject("data"));
  }

  @Test
  void envelopeFalseAnswersTheShapedDataAloneWithTheFactsInHeaders() throws Exception {
    HttpResponse<Buffer> response = get("/aggregate/plain/4");
    assertEquals(200, response.statusCode(), response.bodyAsString());
    assertEquals(new JsonObject().put("name", "user4").putNull("down"), response.bodyAsJsonObject());
    assertEquals("false", response.getHeader("X-Gather-Complete"));
    assertEquals("down=status", response.getHeader("X-Gather-Errors"));
    assertTrue(response.getHeader("Server-Timing").contains("profile;dur="), response.getHeader("Server-Timing"));
  }

  @Test
  void envelopeFalseWithoutAShapeAnswersEachSourcesDataByName() throws Exception {
    HttpResponse<Buffer> response = get("/aggregate/plainUnshaped/5");
    assertEquals(200, response.statusCode(), response.bodyAsString());
    assertEquals(new JsonObject().put("profile", new JsonObject().put("name", "user5")), response.bodyAsJsonObject());
    assertEquals("true", response.getHeader("X-Gather-Complete"));
    assertNull(response.getHeader("X-Gather-Errors"), "nothing failed");
  }

  @Test
  void envelopeFalseWithAFailedRequiredSourceIsAProblemNamingIt() throws Exception {
    HttpResponse<Buffer> response = get("/aggregate/plainFailed");
    assertEquals(502, response.statusCode(), response.bodyAsString());
    assertEquals("application/problem+json", response.getHeader("Content-Type"));
    JsonObject problem = response.bodyAsJsonObject();
    assertEquals("urn:gather:problem:status", problem.getString("type"));
    assertTrue(problem.getString("detail").contains("main"), problem.getString("detail"));
    assertEquals(500, problem.getJsonObject("errors").getJsonObject("main").getInteger("status"));
    assertEquals("main=status, extra=status", response.getHeader("X-Gather-Errors"));
  }

  @Test
  void aFalseWhenSkipsTheSourceAndItsDependentsWithoutAnError() throws Exception {
    int before = vipCalls.get();
    HttpResponse<Buffer> response = get("/aggregate/gated/3");
    assertEquals(200, response.statusCode(), response.bodyAsString());
    JsonObject body = response.bodyAsJsonObject();
    assertTrue(body.getBoolean("complete"), "a skipped source is not an error");
    assertEquals("true", response.getHeader("X-Gather-Complete"));
    assertEquals(new JsonObject(), body.getJsonObject("errors"));
    for (String skipped : new String[] {"vip", "vipFriend", "asked"}) {
      assertFalse(body.getJsonObject("data").containsKey(skipped), response.bodyAsString());
      assertEquals(true, body.getJsonObject("sources").getJsonObject(skipped).getBoolean("skipped"), skipped);
    }
    assertEquals(before, vipCalls.get(), "a skipped source is not called");
  }

  @Test
  void aTrueWhenRunsTheSourceAfterWhatItReads() throws Exception {
    HttpResponse<Buffer> response = get("/aggregate/gated/7?full=yes");
    assertEquals(200, response.statusCode(), response.bodyAsString());
    JsonObject data = response.bodyAsJsonObject().getJsonObject("data");
    assertEquals("gold", data.getJsonObject("vip").getString("level"));
    assertEquals("user2020", data.getJsonObject("vipFriend").getString("name"));
    assertEquals("user1", data.getJsonObject("asked").getString("name"), "a when reads the request's parameters");
    assertNull(response.bodyAsJsonObject().getJsonObject("sources").getJsonObject("vip").getValue("skipped"));
  }

  @Test
  void anOptionalSourceThatFailsGivesItsFallbackAndStillReportsTheError() throws Exception {
    HttpResponse<Buffer> response = get("/aggregate/fallback");
    assertEquals(200, response.statusCode(), response.bodyAsString());
    JsonObject body = response.bodyAsJsonObject();
    assertEquals(new JsonObject().put("items", new JsonArray()), body.getJsonObject("data").getJsonObject("down"));
    assertEquals(true, body.getJsonObject("sources").getJsonObject("down").getBoolean("fallback"));
    assertEquals("status", body.getJsonObject("errors").getJsonObject("down").getString("kind"));
    assertFalse(body.getBoolean("complete"), "the error is still listed");
    assertEquals("dependency_failed", body.getJsonObject("errors").getJsonObject("reader").getString("kind"),
        "a template that reads past the fallback finds no value");
    assertEquals("user1", body.getJsonObject("data").getJsonObject("fine").getString("name"));
  }

  @Test
  void aSelectThatFailsOnTheDataFailsItsSourceAsShapeFailed() throws Exception {
    HttpResponse<Buffer> response = get("/aggregate/broken");
    assertEquals(200, response.statusCode(), response.bodyAsString());
    JsonObject error = response.bodyAsJsonObject().getJsonObject("errors").getJsonObject("profile");
    assertEquals("shape_failed", error.getString("kind"), response.bodyAsString());
    assertTrue(error.getString("detail").contains("abs(name)"), error.getString("detail"));
    assertEquals("user2", response.bodyAsJsonObject().getJsonObject("data").getJsonObject("fine").getString("name"));
  }

  @Test
  void anUnshapedSourceNobodyReadsStillGoesIntoTheEnvelopeAsItsBytes() throws Exception {
    HttpResponse<Buffer> response = get("/aggregate/broken");
    assertTrue(response.bodyAsString().contains("\"spaced\":{\"a\": 1.50}"), response.bodyAsString());
  }

  @Test
  void aWhenSeesAFailedSourceAsNullAndRunsABackup() throws Exception {
    HttpResponse<Buffer> response = get("/aggregate/rescue");
    assertEquals(200, response.statusCode(), response.bodyAsString());
    JsonObject body = response.bodyAsJsonObject();
    assertEquals("user1", body.getJsonObject("data").getJsonObject("backup").getString("name"), response.bodyAsString());
    JsonObject confused = body.getJsonObject("errors").getJsonObject("confused");
    assertEquals("shape_failed", confused.getString("kind"), "a when that errors fails its source");
  }

  @Test
  void aSourceWhoseTemplateNeedsAFailedSourceIsDependencyFailedBeforeItsWhenIsAsked() throws Exception {
    JsonObject error = get("/aggregate/rescue").bodyAsJsonObject().getJsonObject("errors").getJsonObject("downFriend");
    assertEquals("dependency_failed", error.getString("kind"), "not the when's error on the null it would read");
  }

  @Test
  void aShapeThatFailsOnTheDataIs502ShapeFailed() throws Exception {
    HttpResponse<Buffer> response = get("/aggregate/badShape");
    assertEquals(502, response.statusCode(), response.bodyAsString());
    assertEquals("application/problem+json", response.getHeader("Content-Type"));
    assertEquals("urn:gather:problem:shape-failed", response.bodyAsJsonObject().getString("type"));
    assertTrue(response.bodyAsJsonObject().getString("detail").contains("abs(profile.name)"), response.bodyAsString());
  }
}
