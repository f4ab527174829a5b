package dev.gather.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(VertxExtension.class)
class DemoUpstreamVerticleTest {
  private static final String HOST = "127.0.0.1";

  private DemoUpstreamVerticle upstream;
  private String deploymentId;
  private WebClient client;

  @BeforeEach
  void deploy(Vertx vertx, VertxTestContext test) {
    upstream = new DemoUpstreamVerticle(HOST, 0);
    vertx.deployVerticle(upstream).onComplete(test.succeeding(id -> {
      deploymentId = id;
      // Room for the concurrency test's ten requests at once: the default pool of 5 would queue half of them.
      client = WebClient.create(vertx,
          new WebClientOptions().setDefaultHost(HOST).setDefaultPort(upstream.actualPort()),
          new PoolOptions().setHttp1MaxSize(20));
      test.completeNow();
    }));
  }

  @Test
  void theBatchEndpointAnswersTheListedUsersThatExistInTheOrderAsked(VertxTestContext test) {
    client.get("/users?ids=3,99,1").send().onComplete(test.succeeding(response -> test.verify(() -> {
      assertEquals(200, response.statusCode());
      JsonArray users = response.bodyAsJsonArray();
      assertEquals(2, users.size(), "99 is no user, so it is left out");
      assertEquals(3, users.getJsonObject(0).getInteger("id"));
      assertEquals(1, users.getJsonObject(1).getInteger("id"));
      test.completeNow();
    })));
  }

  @Test
  void theBatchEndpointRefusesMoreThanAHundredIds(VertxTestContext test) {
    String ids = String.join(",", java.util.Collections.nCopies(101, "1"));
    client.get("/users?ids=" + ids).send().onComplete(test.succeeding(response -> test.verify(() -> {
      assertEquals(400, response.statusCode());
      test.completeNow();
    })));
  }

  @Test
  void aKnownUserIsAnsweredWithTheSameFakeDataEveryTime(VertxTestContext test) {
    client.get("/users/1").send().onComplete(test.succeeding(response -> test.verify(() -> {
      assertEquals(200, response.statusCode());
      assertEquals("application/json", response.getHeader("Content-Type"));
      assertEquals(new JsonObject()
              .put("id", 1)
              .put("name", "Ada Ritchie")
              .put("username", "ada1")
              .put("email", "ada1@example.test")
              .put("friendIds", new JsonArray().add(2).add(3)),
          response.bodyAsJsonObject());
      test.completeNow();
    })));
  }

  @Test
  void aCreatedPostGetsANewIdAndCanBeReadBack(VertxTestContext test) {
    client.post("/posts").sendJsonObject(new JsonObject().put("userId", 3).put("title", "Hello").put("body", "First"))
        .compose(created -> {
          test.verify(() -> {
            assertEquals(201, created.statusCode());
            JsonObject post = created.bodyAsJsonObject();
            assertTrue(post.getLong("id") > 30, "new ids come after the computed posts' ids: " + post);
            assertEquals(new JsonObject().put("id", post.getLong("id")).put("userId", 3).put("title", "Hello")
                .put("body", "First"), post);
            assertEquals("/posts/" + post.getLong("id"), created.getHeader("Location"));
          });
          return client.get(created.getHeader("Location")).send()
              .map(read -> new JsonArray().add(created.bodyAsJsonObject()).add(read.bodyAsJsonObject()));
        })
        .onComplete(test.succeeding(both -> test.verify(() -> {
          assertEquals(both.getJsonObject(0), both.getJsonObject(1));
          test.completeNow();
        })));
  }

  @Test
  void aPostForNoUserIs422AndABodyThatIsNotJsonIs400(VertxTestContext test) {
    client.post("/posts").sendJsonObject(new JsonObject().put("userId", 99).put("title", "Hello"))
        .compose(noUser -> client.post("/posts").putHeader("Content-Type", "application/json")
            .sendBuffer(Buffer.buffer("{not json")).map(notJson -> List.of(noUser, notJson)))
        .onComplete(test.succeeding(answers -> test.verify(() -> {
          assertEquals(422, answers.get(0).statusCode());
          assertEquals("application/problem+json", answers.get(0).getHeader("Content-Type"));
          assertEquals(400, answers.get(1).statusCode());
          test.completeNow();
        })));
  }

  @Test
  void aComputedPostIsServedByItsId(VertxTestContext test) {
    client.get("/posts/4").send().onComplete(test.succeeding(response -> test.verify(() -> {
      assertEquals(200, response.statusCode());
      assertEquals(2, response.bodyAsJsonObject().getInteger("userId"));
      assertEquals(4, response.bodyAsJsonObject().getInteger("id"));
      test.completeNow();
    })));
  }

  @Test
  void anUnknownUserIs404ProblemJson(VertxTestContext test) {
    client.get("/users/11").send().onComplete(test.succeeding(response -> test.verify(() -> {
      assertEquals(404, response.statusCode());
      assertEquals("application/problem+json", response.getHeader("Content-Type"));
      JsonObject problem = response.bodyAsJsonObject();
      assertEquals(404, problem.getInteger("status"));
      assertEquals("Not Found", problem.getString("title"));
      assertEquals("/users/11", problem.getString("instance"));
      assertTrue(problem.containsKey("type") && problem.containsKey("detail"), problem.encode());
      test.completeNow();
    })));
  }

  @Test
  void postsAreListedForTheUserAsked(VertxTestContext test) {
    client.get("/posts").addQueryParam("userId", "2").send().onComplete(test.succeeding(response -> test.verify(() -> {
      assertEquals(200, response.statusCode());
      JsonArray posts = response.bodyAsJsonArray();
      assertEquals(3, posts.size());
      for (int i = 0; i < posts.size(); i++) {
        JsonObject post = posts.getJsonObject(i);
        assertEquals(2, post.getInteger("userId"));
        assertEquals(4 + i, post.getInteger("id"));
        assertTrue(!post.getString("title").isBlank() && !post.getString("body").isBlank(), post.encode());
      }
      test.completeNow();
    })));
  }

  @Test
  void postsWithoutUserIdIs400ProblemJson(VertxTestContext test) {
    client.get("/posts").send().onComplete(test.succeeding(response -> test.verify(() -> {
      assertEquals(400, response.statusCode());
      assertEquals("application/problem+json", response.getHeader("Content-Type"));
      assertEquals(400, response.bodyAsJsonObject().getInteger("status"));
      test.completeNow();
    })));
  }

  @Test
  void theTailIsSlowAsOftenAsAsked(VertxTestContext test) {
    long started = System.nanoTime();
    client.get("/tail?fastMs=1&slowMs=150&slowPercent=100").send()
        .compose(slow -> client.get("/tail?fastMs=1&slowMs=5000&slowPercent=0").send().map(fast -> List.of(slow, fast)))
        .onComplete(test.succeeding(both -> test.verify(() -> {
          assertTrue(both.get(0).bodyAsJsonObject().getBoolean("slow"));
          assertFalse(both.get(1).bodyAsJsonObject().getBoolean("slow"));
          long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
          assertTrue(elapsedMs >= 150 && elapsedMs < 3000, "both answered after " + elapsedMs + " ms");
          test.completeNow();
        })));
  }

  @Test
  void aTailWithABadParameterIs400(VertxTestContext test) {
    client.get("/tail?slowPercent=lots").send().onComplete(test.succeeding(response -> test.verify(() -> {
      assertEquals(400, response.statusCode());
      test.completeNow();
    })));
  }

  @Test
  void aDelayOfTwoTenthsOfASecondAnswersNoSoonerThan200Ms(VertxTestContext test) {
    long started = System.nanoTime();
    client.get("/delay/0.2").send().onComplete(test.succeeding(response -> test.verify(() -> {
      long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
      assertEquals(200, response.statusCode());
      assertEquals(200, response.bodyAsJsonObject().getLong("delayedMs"));
      assertTrue(elapsedMs >= 200, "answered after " + elapsedMs + " ms");
      test.completeNow();
    })));
  }

  // Ten waits on one event loop overlap only if none of them blocks it: serially they would take 2 s.
  @Test
  void tenConcurrentDelaysOverlapInsteadOfQueueing(VertxTestContext test) {
    long started = System.nanoTime();
    List<Future<HttpResponse<Buffer>>> delays = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      delays.add(client.get("/delay/0.2").send());
    }
    Future.all(delays).onComplete(test.succeeding(all -> test.verify(() -> {
      long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
      for (Future<HttpResponse<Buffer>> delay : delays) {
        assertEquals(200, delay.result().statusCode());
      }
      assertTrue(elapsedMs >= 200 && elapsedMs < 1000, "ten delays took " + elapsedMs + " ms");
      test.completeNow();
    })));
  }

  @Test
  void status503AnswersWith503(VertxTestContext test) {
    client.get("/status/503").send().onComplete(test.succeeding(response -> test.verify(() -> {
      assertEquals(503, response.statusCode());
      assertEquals(new JsonObject().put("status", 503), response.bodyAsJsonObject());
      test.completeNow();
    })));
  }

  @Test
  void hangDoesNotAnswerWithin500Ms(VertxTestContext test) {
    client.get("/hang").timeout(500).send().onComplete(test.failing(failure -> test.verify(() -> {
      assertInstanceOf(TimeoutException.class, failure);
      test.completeNow();
    })));
  }

  @Test
  void undeployIsPromptEvenWithAHangingRequestOpen(Vertx vertx, VertxTestContext test) {
    client.get("/hang").send();
    // Undeploy only once the request has surely reached the server, so the shutdown has something to cut.
    vertx.setTimer(200, fired -> {
      long started = System.nanoTime();
      vertx.undeploy(deploymentId).onComplete(test.succeeding(done -> test.verify(() -> {
        long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        assertTrue(elapsedMs < 1000, "undeploy took " + elapsedMs + " ms");
        test.completeNow();
      })));
    });
  }

  @Test
  void aRequestIdSentIsEchoedBack(VertxTestContext test) {
    client.get("/users/3").putHeader("X-Request-Id", "demo-42").send()
        .onComplete(test.succeeding(response -> test.verify(() -> {
          assertEquals("demo-42", response.getHeader("X-Request-Id"));
          test.completeNow();
        })));
  }
}
