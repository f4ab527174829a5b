package dev.gather.users;

import static dev.gather.http.RequestParams.pathId;
import static dev.gather.http.RequestParams.queryNumber;

import dev.gather.http.ApiError;
import dev.gather.http.Pages;
import dev.gather.http.RequestParams;
import io.vertx.core.Future;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.Map;

/** The {@code /users} endpoints, querying the users table on this verticle's event loop. */
public final class UsersApi {
  static final int DEFAULT_LIMIT = 50;
  static final int MAX_LIMIT = 500;
  private static final String NDJSON = "application/x-ndjson";

  private final UserRepository users;
  private final UserExports exports;

  public UsersApi(UserRepository users, UserExports exports) {
    this.users = users;
    this.exports = exports;
  }

  public void list(RoutingContext ctx) {
    int limit = (int) queryNumber(ctx, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT);
    long after = queryNumber(ctx, "after", 0, 0, Long.MAX_VALUE);
    users.list(after, limit)
        .onSuccess(page -> Pages.send(ctx, page, User::toJson, next -> "/users?limit=" + limit + "&after=" + next))
        .onFailure(ctx::fail);
  }

  public void get(RoutingContext ctx) {
    users.get(pathId(ctx))
        .onSuccess(user -> ctx.json(user.toJson()))
        .onFailure(ctx::fail);
  }

  public void create(RoutingContext ctx) {
    users.create(input(ctx))
        .onSuccess(user -> ctx.response()
            .setStatusCode(201)
            .putHeader("Location", "/users/" + user.id())
            .putHeader("Content-Type", "application/json")
            .end(user.toJson().toBuffer()))
        .onFailure(ctx::fail);
  }

  public void update(RoutingContext ctx) {
    long id = pathId(ctx);
    users.update(id, input(ctx))
        .onSuccess(user -> ctx.json(user.toJson()))
        .onFailure(ctx::fail);
  }

  public void delete(RoutingContext ctx) {
    users.delete(pathId(ctx))
        .onSuccess(done -> ctx.response().setStatusCode(204).end())
        .onFailure(ctx::fail);
  }

  /**
   * Streams every user as NDJSON. The next batch is asked of the cursor only once the previous one has left the
   * socket's write queue, so memory stays flat and a slow reader slows the cursor.
   */
  public void export(RoutingContext ctx) {
    exports.open()
        .onSuccess(export -> {
          HttpServerResponse response = ctx.response()
              .setChunked(true)
              .putHeader("Content-Type", NDJSON);
          ctx.request().connection().closeHandler(closed -> export.close());
          pump(ctx, response, export);
        })
        .onFailure(ctx::fail);
  }

  private void pump(RoutingContext ctx, HttpServerResponse response, UserExports.Export export) {
    if (response.closed()) {
      export.close();
      return;
    }
    export.next()
        .compose(lines -> lines.length() == 0 ? Future.<Void>succeededFuture() : response.write(lines))
        .onSuccess(written -> {
          if (export.done()) {
            response.end();
          } else if (response.writeQueueFull()) {
            response.drainHandler(drained -> pump(ctx, response, export));
          } else {
            pump(ctx, response, export);
          }
        })
        .onFailure(e -> {
          export.close();
          if (!response.closed()) {
            ctx.fail(e); // a client that left needs no answer, and its leaving is not a server error
          }
        });
  }

  private static UserInput input(RoutingContext ctx) {
    JsonObject object = RequestParams.jsonObject(ctx, "email and name", null);
    UserInput.Parsed parsed = UserInput.parse(object);
    if (!parsed.valid()) {
      throw validationError(parsed.fieldErrors());
    }
    return parsed.input();
  }

  private static ApiError validationError(Map<String, String> fieldErrors) {
    JsonArray errors = new JsonArray();
    StringBuilder detail = new StringBuilder();
    fieldErrors.forEach((field, message) -> {
      errors.add(new JsonObject().put("field", field).put("message", message));
      detail.append(detail.length() == 0 ? "" : "; ").append(field).append(' ').append(message);
    });
    return new ApiError(400, "validation", detail.toString(), new JsonObject().put("errors", errors));
  }
}
