package dev.gather.users;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gather.RunningGather;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.List;
import java.util.UUID;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(VertxExtension.class)
class UsersApiTest {
  private static RunningGather app;
  private static WebClient client;

  @BeforeAll
  static void start() {
    app = RunningGather.start();
    client = app.client;
  }

  @AfterAll
  static void stop() throws Exception {
    app.close();
  }

  private static JsonObject newUser() {
    String tag = UUID.randomUUID().toString().substring(0, 8);
    return new JsonObject().put("email", tag + "@example.com").put("name", "User " + tag);
  }

  private static Future<HttpResponse<Buffer>> create(JsonObject user) {
    return client.post("/users").sendJsonObject(user);
  }

  private static void assertProblem(HttpResponse<Buffer> response, int status) {
    assertEquals(status, response.statusCode(), response.bodyAsString());
    assertEquals("application/problem+json", response.getHeader("Content-Type"));
    JsonObject problem = response.bodyAsJsonObject();
    assertEquals(status, problem.getInteger("status"));
    assertNotNull(problem.getString("type"));
    assertNotNull(problem.getString("title"));
    assertNotNull(problem.getString("detail"));
    assertNotNull(problem.getString("instance"));
    assertEquals(response.getHeader("X-Request-Id"), problem.getString("requestId"));
    assertFalse(response.bodyAsString().contains("\tat "), "no stack trace reaches a client");
  }

  @Test
  void createAnswers201WithLocationAndTheStoredUser(VertxTestContext test) {
    JsonObject user = newUser();
    create(user).onComplete(test.succeeding(response -> test.verify(() -> {
      assertEquals(201, response.statusCode());
      JsonObject body = response.bodyAsJsonObject();
      assertEquals("/users/" + body.getLong("id"), response.getHeader("Location"));
      assertEquals(user.getString("email"), body.getString("email"));
      assertEquals(user.getString("name"), body.getString("name"));
      assertNotNull(body.getString("createdAt"));
      test.completeNow();
    })));
  }

  @Test
  void aCreatedUserCanBeReadBackByItsLocation(VertxTestContext test) {
    JsonObject user = newUser();
    create(user)
        .compose(created -> client.get(created.getHeader("Location")).send())
        .onComplete(test.succeeding(response -> test.verify(() -> {
          assertEquals(200, response.statusCode());
          assertEquals(user.getString("email"), response.bodyAsJsonObject().getString("email"));
          test.completeNow();
        })));
  }

  @Test
  void anUnknownIdIs404(VertxTestContext test) {
    client.get("/users/999999999").send().onComplete(test.succeeding(response -> test.verify(() -> {
      assertProblem(response, 404);
      assertTrue(response.bodyAsJsonObject().getString("detail").contains("999999999"));
      test.completeNow();
    })));
  }

  @Test
  void aNonNumericIdIs400(VertxTestContext test) {
    client.get("/users/abc").send().onComplete(test.succeeding(response -> test.verify(() -> {
      assertProblem(response, 400);
      assertTrue(response.bodyAsJsonObject().getString("detail").contains("abc"));
      test.completeNow();
    })));
  }

  @Test
  void aMissingFieldIs400NamingTheField(VertxTestContext test) {
    create(new JsonObject().put("email", "nameless@example.com")).onComplete(test.succeeding(response -> test.verify(() -> {
      assertProblem(response, 400);
      JsonObject problem = response.bodyAsJsonObject();
      assertTrue(problem.getString("detail").contains("name is required"), problem.encode());
      assertEquals("name", problem.getJsonArray("errors").getJsonObject(0).getString("field"));
      test.completeNow();
    })));
  }

  @Test
  void anInvalidEmailIs400NamingTheField(VertxTestContext test) {
    create(new JsonObject().put("email", "not-an-address").put("name", "X")).onComplete(test.succeeding(r -> test.verify(() -> {
      assertProblem(r, 400);
      assertEquals("email", r.bodyAsJsonObject().getJsonArray("errors").getJsonObject(0).getString("field"));
      test.completeNow();
    })));
  }

  @Test
  void badJsonIs400(VertxTestContext test) {
    client.post("/users").putHeader("Content-Type", "application/json").sendBuffer(Buffer.buffer("{\"email\": "))
        .onComplete(test.succeeding(response -> test.verify(() -> {
          assertProblem(response, 400);
          assertTrue(response.bodyAsJsonObject().getString("detail").contains("not valid JSON"));
          test.completeNow();
        })));
  }

  @Test
  void aJsonArrayBodyIs400(VertxTestContext test) {
    client.post("/users").putHeader("Content-Type", "application/json").sendBuffer(Buffer.buffer("[1,2]"))
        .onComplete(test.succeeding(response -> test.verify(() -> {
          assertProblem(response, 400);
          test.completeNow();
        })));
  }

  @Test
  void aBodyOverTheLimitIs413(VertxTestContext test) {
    String big = "x".repeat(2 * 1024 * 1024);
    client.post("/users").putHeader("Content-Type", "application/json")
        .sendBuffer(Buffer.buffer("{\"email\":\"a@b.co\",\"name\":\"" + big + "\"}"))
        .onComplete(test.succeeding(response -> test.verify(() -> {
          assertProblem(response, 413);
          test.completeNow();
        })));
  }

  @Test
  void aWrongContentTypeIs415(VertxTestContext test) {
    client.post("/users").putHeader("Content-Type", "text/plain").sendBuffer(Buffer.buffer("email=a@b.co"))
        .onComplete(test.succeeding(response -> test.verify(() -> {
          assertProblem(response, 415);
          assertTrue(response.bodyAsJsonObject().getString("detail").contains("text/plain"));
          test.completeNow();
        })));
  }

  @Test
  void aDuplicateEmailIs409EvenInAnotherCase(VertxTestContext test) {
    JsonObject user = newUser();
    JsonObject shouted = user.copy().put("email", user.getString("email").toUpperCase());
    create(user)
        .compose(first -> create(shouted))
        .onComplete(test.succeeding(response -> test.verify(() -> {
          assertProblem(response, 409);
          test.completeNow();
        })));
  }

  @Test
  void putReplacesEmailAndName(VertxTestContext test) {
    JsonObject changed = newUser();
    create(newUser())
        .compose(created -> client.put(created.getHeader("Location")).sendJsonObject(changed))
        .onComplete(test.succeeding(response -> test.verify(() -> {
          assertEquals(200, response.statusCode());
          assertEquals(changed.getString("email"), response.bodyAsJsonObject().getString("email"));
          assertEquals(changed.getString("name"), response.bodyAsJsonObject().getString("name"));
          test.completeNow();
        })));
  }

  @Test
  void putOnAnUnknownIdIs404(VertxTestContext test) {
    client.put("/users/999999998").sendJsonObject(newUser()).onComplete(test.succeeding(response -> test.verify(() -> {
      assertProblem(response, 404);
      test.completeNow();
    })));
  }

  @Test
  void putToAnotherUsersEmailIs409(VertxTestContext test) {
    JsonObject first = newUser();
    create(first)
        .compose(ignored -> create(newUser()))
        .compose(second -> client.put(second.getHeader("Location"))
            .sendJsonObject(newUser().put("email", first.getString("email"))))
        .onComplete(test.succeeding(response -> test.verify(() -> {
          assertProblem(response, 409);
          test.completeNow();
        })));
  }

  @Test
  void deleteAnswers204AndTheUserIsGone(VertxTestContext test) {
    create(newUser()).compose(created -> client.delete(created.getHeader("Location")).send()
            .compose(deleted -> {
              test.verify(() -> assertEquals(204, deleted.statusCode()));
              return client.get(created.getHeader("Location")).send();
            }))
        .onComplete(test.succeeding(response -> test.verify(() -> {
          assertProblem(response, 404);
          test.completeNow();
        })));
  }

  @Test
  void deleteOfAnUnknownIdIs404(VertxTestContext test) {
    client.delete("/users/999999997").send().onComplete(test.succeeding(response -> test.verify(() -> {
      assertProblem(response, 404);
      test.completeNow();
    })));
  }

  @Test
  void listPagesThroughEveryUserInIdOrderWithNextLinks(VertxTestContext test) {
    List<Future<HttpResponse<Buffer>>> creates = IntStream.range(0, 7).mapToObj(i -> create(newUser())).toList();
    Future.all(creates)
        .compose(all -> collectPages("/users?limit=3", new JsonArray()))
        .onComplete(test.succeeding(items -> test.verify(() -> {
          assertTrue(items.size() >= 7);
          for (int i = 1; i < items.size(); i++) {
            assertTrue(items.getJsonObject(i - 1).getLong("id") < items.getJsonObject(i).getLong("id"));
          }
          test.completeNow();
        })));
  }

  private static Future<JsonArray> collectPages(String uri, JsonArray seen) {
    return client.get(uri).send().compose(response -> {
      JsonObject page = response.bodyAsJsonObject();
      JsonArray items = page.getJsonArray("items");
      if (items.size() > 3) {
        return Future.failedFuture("page larger than limit: " + items.size());
      }
      seen.addAll(items);
      String next = page.getString("next");
      if (next == null) {
        return Future.succeededFuture(seen);
      }
      if (!response.getHeader("Link").equals("<" + next + ">; rel=\"next\"")) {
        return Future.failedFuture("Link header does not match next: " + response.getHeader("Link"));
      }
      return collectPages(next, seen);
    });
  }

  @Test
  void theLastPageHasNoNextLink(VertxTestContext test) {
    client.get("/users?after=999999999").send().onComplete(test.succeeding(response -> test.verify(() -> {
      assertEquals(200, response.statusCode());
      assertEquals(0, response.bodyAsJsonObject().getJsonArray("items").size());
      assertNull(response.bodyAsJsonObject().getString("next"));
      assertNull(response.getHeader("Link"));
      test.completeNow();
    })));
  }

  @Test
  void aLimitOutOfRangeIs400(VertxTestContext test) {
    client.get("/users?limit=100000").send().onComplete(test.succeeding(response -> test.verify(() -> {
      assertProblem(response, 400);
      assertTrue(response.bodyAsJsonObject().getString("detail").startsWith("limit"));
      test.completeNow();
    })));
  }

  @Test
  void aNonNumericAfterIs400(VertxTestContext test) {
    client.get("/users?after=xyz").send().onComplete(test.succeeding(response -> test.verify(() -> {
      assertProblem(response, 400);
      assertTrue(response.bodyAsJsonObject().getString("detail").startsWith("after"));
      test.completeNow();
    })));
  }
}
