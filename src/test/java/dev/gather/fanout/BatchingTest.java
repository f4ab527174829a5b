package dev.gather.fanout;

import static dev.gather.fanout.TestAggregates.source;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A forEach with {@code batch} calls the upstream's batch endpoint once per {@code max} items and gives each
 * item its object back by key; {@code maxItems} refuses a longer list before any call. The loopback upstream
 * records every batch call's ids, and answers them in reverse order so that only the key can put them back.
 */
class BatchingTest {
  /** An id the batch endpoint never answers, as a deleted user would be. */
  private static final String MISSING = "13";
  /** An id whose batch call the upstream fails. */
  private static final String BROKEN = "5000";
  private static Vertx upstreamVertx;
  private static HttpServer upstream;
  private static RunningGather app;
  private static final List<List<String>> batchCalls = new CopyOnWriteArrayList<>();
  private static final AtomicInteger singleCalls = new AtomicInteger();

  @BeforeAll
  static void start() throws Exception {
    upstreamVertx = Vertx.vertx();
    Router router = Router.router(upstreamVertx);
    router.get("/users").handler(ctx -> {
      List<String> ids = List.of(ctx.request().getParam("ids").split(","));
      batchCalls.add(ids);
      if (ids.contains(BROKEN)) {
        ctx.response().setStatusCode(500).end("{}");
        return;
      }
      JsonArray found = new JsonArray();
      for (int i = ids.size() - 1; i >= 0; i--) {
        if (!ids.get(i).equals(MISSING)) {
          found.add(new JsonObject().put("id", Integer.parseInt(ids.get(i))).put("name", "user" + ids.get(i)));
        }
      }
      ctx.json(found);
    });
    router.get("/usersById").handler(ctx -> {
      JsonObject byId = new JsonObject();
      for (String id : ctx.request().getParam("ids").split(",")) {
        byId.put(id, new JsonObject().put("name", "user" + id));
      }
      batchCalls.add(List.of(ctx.request().getParam("ids").split(",")));
      ctx.json(byId);
    });
    router.get("/user/:id").handler(ctx -> {
      singleCalls.incrementAndGet();
      ctx.json(new JsonObject().put("id", ctx.pathParam("id")));
    });
    router.get("/profile/:id").handler(ctx -> ctx.json(new JsonObject().put("friendIds", new JsonArray().add(7).add(9))));
    upstream = upstreamVertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1").await(5, TimeUnit.SECONDS);

    JsonObject batch = new JsonObject().put("param", "ids").put("max", 100).put("key", "id");
    app = RunningGather.start(new JsonObject()
        .put("upstreams", new JsonObject().put("test", new JsonObject()
            .put("url", "http://127.0.0.1:" + upstream.actualPort()).put("timeoutMs", 2000).put("maxConcurrent", 4)))
        .put("aggregates", new JsonObject()
            .put("people", aggregate("/aggregate/people", new JsonObject()
                .put("people", source("/users").put("forEach", "ids").put("as", "id").put("batch", batch))))
            .put("keyed", aggregate("/aggregate/keyed", new JsonObject()
                .put("people", source("/usersById").put("forEach", "ids").put("as", "id").put("batch", batch))))
            .put("friends", aggregate("/aggregate/friends/:userId", new JsonObject()
                .put("profile", source("/profile/{userId}"))
                .put("friends", source("/users").put("forEach", "profile.friendIds").put("as", "id")
                    .put("batch", batch))))
            .put("capped", aggregate("/aggregate/capped", new JsonObject()
                .put("one", source("/user/{id}").put("forEach", "ids").put("as", "id").put("maxItems", 50))
                .put("many", source("/users").put("forEach", "ids").put("as", "id").put("batch", batch)
                    .put("maxItems", 50))))));
  }

  private static JsonObject aggregate(String path, JsonObject sources) {
    return new JsonObject().put("path", path).put("deadlineMs", 5000).put("sources", sources);
  }

  @AfterAll
  static void stop() throws Exception {
    app.close();
    upstreamVertx.close().await(10, TimeUnit.SECONDS);
  }

  @BeforeEach
  void resetCounts() {
    batchCalls.clear();
    singleCalls.set(0);
  }

  private static HttpResponse<Buffer> get(String uri) throws Exception {
    return app.client.get(uri).send().await(10, TimeUnit.SECONDS);
  }

  private static String ids(int from, int to) {
    return IntStream.rangeClosed(from, to).mapToObj(String::valueOf).collect(Collectors.joining(","));
  }

  @Test
  void twoHundredFiftyItemsInBatchesOfAHundredAreThreeCallsAndEveryItemGetsItsOwnObject() throws Exception {
    HttpResponse<Buffer> response = get("/aggregate/people?ids=" + ids(1001, 1250));
    assertEquals(200, response.statusCode(), response.bodyAsString());
    assertEquals(3, batchCalls.size(), "⌈250 / 100⌉ calls");
    assertEquals(List.of(50, 100, 100), batchCalls.stream().map(List::size).sorted().toList(),
        "two calls of 100 ids and one of 50");
    assertEquals(250, batchCalls.stream().mapToInt(List::size).sum());
    JsonArray people = response.bodyAsJsonObject().getJsonObject("data").getJsonArray("people");
    assertEquals(250, people.size());
    for (int i = 0; i < 250; i++) {
      assertEquals(1001 + i, people.getJsonObject(i).getInteger("id"), "item " + i + " in its place");
      assertEquals("user" + (1001 + i), people.getJsonObject(i).getString("name"));
    }
    JsonObject outcome = response.bodyAsJsonObject().getJsonObject("sources").getJsonObject("people");
    assertEquals(3, outcome.getInteger("attempts"), "one try per batch call");
    assertTrue(response.bodyAsJsonObject().getBoolean("complete"));
  }

  @Test
  void sequentialModeMakesTheBatchCallsOneAfterAnotherWithTheSameResult() throws Exception {
    HttpResponse<Buffer> response = get("/aggregate/people?mode=sequential&ids=" + ids(1001, 1250));
    assertEquals(200, response.statusCode(), response.bodyAsString());
    assertEquals(List.of(ids(1001, 1100), ids(1101, 1200), ids(1201, 1250)),
        batchCalls.stream().map(call -> String.join(",", call)).toList(), "in order, one after another");
    assertEquals(1250, response.bodyAsJsonObject().getJsonObject("data").getJsonArray("people").getJsonObject(249)
        .getInteger("id"));
  }

  @Test
  void aFailedBatchCallFailsOnlyItsOwnItems() throws Exception {
    HttpResponse<Buffer> response = get("/aggregate/people?ids=" + ids(4901, 5100));
    assertEquals(200, response.statusCode(), response.bodyAsString());
    JsonObject body = response.bodyAsJsonObject();
    JsonArray people = body.getJsonObject("data").getJsonArray("people");
    assertNull(people.getValue(0), "the first hundred went in the call that failed");
    assertNull(people.getValue(99));
    assertEquals(5001, people.getJsonObject(100).getInteger("id"), "the second call's items keep their data");
    JsonObject error = body.getJsonObject("errors").getJsonObject("people");
    assertEquals("status", error.getString("kind"));
    assertEquals(100, error.getJsonArray("items").size());
    assertTrue(error.getString("detail").startsWith("100 of 200 items failed"), error.getString("detail"));
  }

  @Test
  void anItemMissingFromTheBatchAnswerIsThatItemsErrorAndTheOthersKeepTheirData() throws Exception {
    HttpResponse<Buffer> response = get("/aggregate/people?ids=12," + MISSING + ",14");
    assertEquals(200, response.statusCode(), "an optional source's item error does not fail the answer");
    JsonObject body = response.bodyAsJsonObject();
    JsonArray people = body.getJsonObject("data").getJsonArray("people");
    assertEquals(3, people.size());
    assertEquals(12, people.getJsonObject(0).getInteger("id"));
    assertNull(people.getValue(1), "the missing item is null in its place");
    assertEquals(14, people.getJsonObject(2).getInteger("id"));
    JsonObject error = body.getJsonObject("errors").getJsonObject("people");
    assertEquals("not_found", error.getString("kind"));
    assertEquals(new JsonArray().add(new JsonObject().put("index", 1).put("kind", "not_found")
        .put("detail", "id 13 is not in the batch answer")), error.getJsonArray("items"));
    assertEquals(true, body.getJsonObject("sources").getJsonObject("people").getBoolean("partial"));
    assertEquals(false, body.getBoolean("complete"));
    assertEquals(1, batchCalls.size());
  }

  @Test
  void aValueListedTwiceIsAskedForOnceAndGivenToBothItems() throws Exception {
    HttpResponse<Buffer> response = get("/aggregate/people?ids=5,6,5");
    assertEquals(200, response.statusCode(), response.bodyAsString());
    assertEquals(List.of(List.of("5", "6")), batchCalls);
    JsonArray people = response.bodyAsJsonObject().getJsonObject("data").getJsonArray("people");
    assertEquals(5, people.getJsonObject(2).getInteger("id"));
  }

  @Test
  void anAnswerKeyedByIdIsScatteredByItsPropertyNames() throws Exception {
    HttpResponse<Buffer> response = get("/aggregate/keyed?ids=3,4");
    assertEquals(200, response.statusCode(), response.bodyAsString());
    assertEquals(new JsonArray().add(new JsonObject().put("name", "user3")).add(new JsonObject().put("name", "user4")),
        response.bodyAsJsonObject().getJsonObject("data").getJsonArray("people"));
  }

  @Test
  void numbersFromAnotherSourcesListMatchTheIdsOfTheAnswer() throws Exception {
    HttpResponse<Buffer> response = get("/aggregate/friends/1");
    assertEquals(200, response.statusCode(), response.bodyAsString());
    assertEquals(List.of(List.of("7", "9")), batchCalls);
    JsonArray friends = response.bodyAsJsonObject().getJsonObject("data").getJsonArray("friends");
    assertEquals("user7", friends.getJsonObject(0).getString("name"));
    assertEquals("user9", friends.getJsonObject(1).getString("name"));
  }

  @Test
  void moreItemsThanMaxItemsIs400NamingTheSourceAndTheLimitBeforeAnyCall() throws Exception {
    HttpResponse<Buffer> response = get("/aggregate/capped?ids=" + ids(1, 51));
    assertEquals(400, response.statusCode(), response.bodyAsString());
    JsonObject problem = response.bodyAsJsonObject();
    assertEquals("urn:gather:problem:too-many-items", problem.getString("type"));
    assertEquals("one", problem.getString("source"));
    assertEquals(50, problem.getInteger("maxItems"));
    assertTrue(problem.getString("detail").contains("51 items, more than its maxItems (50)"), problem.getString("detail"));
    assertEquals(0, singleCalls.get(), "no item call");
    assertEquals(0, batchCalls.size(), "no batch call");
  }

  @Test
  void asManyItemsAsMaxItemsRun() throws Exception {
    HttpResponse<Buffer> response = get("/aggregate/capped?ids=" + ids(1, 50));
    assertEquals(200, response.statusCode(), response.bodyAsString());
    assertEquals(50, singleCalls.get());
    assertEquals(1, batchCalls.size());
  }
}
