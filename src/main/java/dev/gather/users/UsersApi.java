package dev.gather.users;

import static dev.gather.http.RequestParams.pathId;
import static dev.gather.http.RequestParams.queryNumber;

import dev.gather.db.DbClient;
import dev.gather.http.ApiError;
import dev.gather.http.RequestParams;
import io.vertx.core.Future;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.Map;

/** The {@code /users} endpoints. Every query goes to the database verticle through {@link DbClient}. */
public final class UsersApi {
  static final int DEFAULT_LIMIT = 50;
  static final int MAX_LIMIT = 500;
  private static final String NDJSON = "application/x-ndjson";

  private final DbClient db;

  public UsersApi(DbClient db) {
    this.db = db;
  }

  public void list(RoutingContext ctx) {
    int limit = (int) queryNumber(ctx, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT);
    long after = queryNumber(ctx, "after", 0, 0, Long.MAX_VALUE);
    db.<UserRequests.Page>request(UserRequests.LIST, new UserRequests.ListPage(after, limit))
        .onSuccess(page -> {
          JsonObject body = new JsonObject().put("items", new JsonArray(page.users().stream().map(User::toJson).toList()));
          page.next().ifPresentOrElse(next -> {
            String link = "/users?limit=" + limit + "&after=" + next;
            body.put("next", link);
            ctx.response().putHeader("Link", "<" + link + ">; rel=\"next\"");
          }, () -> body.putNull("next"));
          ctx.json(body);
        })
        .onFailure(ctx::fail);
  }

  public void get(RoutingContext ctx) {
    db.<User>request(UserRequests.GET, new UserRequests.Get(pathId(ctx)))
        .onSuccess(user -> ctx.json(user.toJson()))
        .onFailure(ctx::fail);
  }

  public void create(RoutingContext ctx) {
    UserInput input = input(ctx);
    db.<User>request(UserRequests.CREATE, new UserRequests.Create(input))
        .onSuccess(user -> ctx.response()
            .setStatusCode(201)
            .putHeader("Location", "/users/" + user.id())
            .putHeader("Content-Type", "application/json")
            .end(user.toJson().toBuffer()))
        .onFailure(ctx::fail);
  }

  public void update(RoutingContext ctx) {
    long id = pathId(ctx);
    UserInput input = input(ctx);
    db.<User>request(UserRequests.UPDATE, new UserRequests.Update(id, input))
        .onSuccess(user -> ctx.json(user.toJson()))
        .onFailure(ctx::fail);
  }

  public void delete(RoutingContext ctx) {
    db.request(UserRequests.DELETE, new UserRequests.Delete(pathId(ctx)))
        .onSuccess(done -> ctx.response().setStatusCode(204).end())
        .onFailure(ctx::fail);
  }

  /**
   * Streams every user as NDJSON. The next batch is asked of the database cursor only once the previous one
   * has left the socket's write queue, so memory stays flat and a slow reader slows the cursor.
   */
  public void export(RoutingContext ctx) {
    db.<UserRequests.ExportId>request(UserRequests.EXPORT_OPEN, null)
        .onSuccess(id -> {
          HttpServerResponse response = ctx.response()
              .setChunked(true)
              .putHeader("Content-Type", NDJSON);
          ctx.request().connection().closeHandler(closed -> closeExport(id));
          pump(ctx, response, id);
        })
        .onFailure(ctx::fail);
  }

  private void pump(RoutingContext ctx, HttpServerResponse response, UserRequests.ExportId id) {
    if (response.closed()) {
      closeExport(id);
      return;
    }
    db.<UserRequests.ExportBatch>request(UserRequests.EXPORT_NEXT, id)
        .compose(batch -> batch.rows() == 0 ? Future.succeededFuture(batch)
            : response.write(batch.ndjson()).map(batch))
        .onSuccess(batch -> {
          if (batch.last()) {
            response.end();
          } else if (response.writeQueueFull()) {
            response.drainHandler(drained -> pump(ctx, response, id));
          } else {
            pump(ctx, response, id);
          }
        })
        .onFailure(e -> {
          closeExport(id);
          if (!response.closed()) {
            ctx.fail(e); // a client that left needs no answer, and its leaving is not a server error
          }
        });
  }

  private void closeExport(UserRequests.ExportId id) {
    db.request(UserRequests.EXPORT_CLOSE, id);
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
