package dev.gather.demo;

import io.netty.handler.codec.http.HttpResponseStatus;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * A stand-in for the external APIs of the quick start (jsonplaceholder-style users and posts, httpbin-style
 * delay and status), so the fan-out can be tried, and tested, without a network. It runs on its own port and
 * shares nothing with the service itself: a real upstream would not use gather's problem or request-id code.
 */
public final class DemoUpstreamVerticle extends VerticleBase {
  private static final String REQUEST_ID = "X-Request-Id";
  private static final String PROBLEM_JSON = "application/problem+json";
  // Digits only, and few of them: parseInt would also take "+7" or overflow into an exception.
  private static final Pattern SMALL_NUMBER = Pattern.compile("\\d{1,4}");
  private static final BigDecimal MAX_DELAY_SECONDS = BigDecimal.valueOf(60);
  // Long enough for an answer already being written to finish, short enough that a /hang never holds up undeploy.
  private static final long SHUTDOWN_GRACE_MS = 200;

  private static final long MAX_POST_BYTES = 16 * 1024;
  /** Most ids one batch call of /users?ids= may list. */
  static final int MAX_BATCH = 100;
  private static final int MAX_TITLE_LENGTH = 200;

  private final String host;
  private final int port;
  /** What was posted, newest last; only the most recent ones, so that no caller can grow it without bound. */
  private final RecentPosts created = new RecentPosts(DemoData.USER_COUNT * DemoData.POSTS_PER_USER + 1);
  private HttpServer server;

  public DemoUpstreamVerticle(String host, int port) {
    this.host = host;
    this.port = port;
  }

  @Override
  public Future<?> start() {
    Router router = Router.router(vertx);
    router.route().handler(this::echoRequestId);
    router.get("/users").handler(this::users);
    router.get("/users/:id").handler(this::user);
    router.get("/posts").handler(this::posts);
    router.post("/posts").handler(BodyHandler.create(false).setBodyLimit(MAX_POST_BYTES)).handler(this::createPost);
    router.get("/posts/:id").handler(this::post);
    router.get("/delay/:seconds").handler(this::delay);
    router.get("/tail").handler(this::tail);
    router.get("/status/:code").handler(this::status);
    router.get("/hang").handler(this::hang);
    // The router's own answers (no such route, wrong method) take the same problem shape as ours.
    router.errorHandler(404, ctx -> problem(ctx, 404, "no resource at " + ctx.request().path()));
    router.errorHandler(405, ctx -> problem(ctx, 405, ctx.request().method() + " is not allowed here"));
    router.errorHandler(500, ctx -> problem(ctx, 500, "the demo upstream failed"));
    return vertx.createHttpServer()
        .requestHandler(router)
        .listen(port, host)
        .onSuccess(listening -> server = listening);
  }

  @Override
  public Future<?> stop() {
    return server == null ? Future.succeededFuture() : server.shutdown(SHUTDOWN_GRACE_MS, TimeUnit.MILLISECONDS);
  }

  /** The port actually bound, which differs from the one asked for when that was 0. */
  public int actualPort() {
    if (server == null) {
      throw new IllegalStateException("the demo upstream is not listening yet");
    }
    return server.actualPort();
  }

  // Callers correlate their logs with ours by this header, as they would with a real upstream that honours it.
  private void echoRequestId(RoutingContext ctx) {
    String id = ctx.request().getHeader(REQUEST_ID);
    if (id != null) {
      ctx.response().putHeader(REQUEST_ID, id);
    }
    ctx.next();
  }

  /**
   * Every user, or with {@code ?ids=2,3,99} the batch endpoint: those of the listed users that exist (at most
   * {@link #MAX_BATCH} ids), in the order asked; an id with no user is left out, not an error, as batch APIs do.
   */
  private void users(RoutingContext ctx) {
    String ids = ctx.request().getParam("ids");
    if (ids == null) {
      ctx.json(DemoData.users());
      return;
    }
    String[] listed = ids.split(",", -1);
    if (listed.length > MAX_BATCH) {
      problem(ctx, 400, "at most " + MAX_BATCH + " ids per call, got " + listed.length);
      return;
    }
    JsonArray found = new JsonArray();
    for (String id : listed) {
      String trimmed = id.trim();
      if (SMALL_NUMBER.matcher(trimmed).matches() && DemoData.isUser(Integer.parseInt(trimmed))) {
        found.add(DemoData.user(Integer.parseInt(trimmed)));
      }
    }
    ctx.json(found);
  }

  private void user(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    int number = SMALL_NUMBER.matcher(id).matches() ? Integer.parseInt(id) : -1;
    if (!DemoData.isUser(number)) {
      problem(ctx, 404, "no user with id " + id + "; ids run from 1 to " + DemoData.USER_COUNT);
      return;
    }
    ctx.json(DemoData.user(number));
  }

  // Like jsonplaceholder, a well-formed id with no user behind it filters down to an empty list, not an error.
  private void posts(RoutingContext ctx) {
    String userId = ctx.request().getParam("userId");
    if (userId == null || !SMALL_NUMBER.matcher(userId).matches()) {
      problem(ctx, 400, "query parameter userId must be a user id, e.g. /posts?userId=1");
      return;
    }
    ctx.json(DemoData.postsOf(Integer.parseInt(userId)));
  }

  /** Takes {@code {"userId": 3, "title": "…", "body": "…"}}; answers 201 with the post and its new id. */
  private void createPost(RoutingContext ctx) {
    JsonObject input;
    try {
      input = ctx.body().asJsonObject();
    } catch (DecodeException | ClassCastException e) {
      problem(ctx, 400, "the body must be a JSON object like {\"userId\": 3, \"title\": \"Hello\"}");
      return;
    }
    Object userId = input == null ? null : input.getValue("userId");
    Object title = input == null ? null : input.getValue("title");
    if (!(userId instanceof Number number) || !DemoData.isUser(number.intValue()) || number.doubleValue() != number.intValue()) {
      problem(ctx, 422, "userId must be the id of a user, from 1 to " + DemoData.USER_COUNT + "; got " + userId);
      return;
    }
    if (!(title instanceof String text) || text.isBlank() || text.length() > MAX_TITLE_LENGTH) {
      problem(ctx, 422, "title must be a non-empty string of at most " + MAX_TITLE_LENGTH + " characters");
      return;
    }
    Object body = input.getValue("body");
    JsonObject post = created.add(new JsonObject().put("userId", number.intValue()).put("title", text)
        .put("body", body instanceof String b ? b : ""));
    ctx.response().setStatusCode(201).putHeader("Location", "/posts/" + post.getLong("id"));
    ctx.json(post);
  }

  private void post(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    JsonObject post = id.matches("\\d{1,9}") ? DemoData.post(Integer.parseInt(id)) : null;
    if (post == null && id.matches("\\d{1,9}")) {
      post = created.get(Long.parseLong(id));
    }
    if (post == null) {
      problem(ctx, 404, "no post with id " + id + " (the demo keeps only the " + RecentPosts.KEPT
          + " posts created last)");
      return;
    }
    ctx.json(post);
  }

  private void delay(RoutingContext ctx) {
    long delayMs;
    try {
      BigDecimal seconds = new BigDecimal(ctx.pathParam("seconds"));
      if (seconds.signum() < 0 || seconds.compareTo(MAX_DELAY_SECONDS) > 0) {
        throw new NumberFormatException();
      }
      delayMs = seconds.movePointRight(3).setScale(0, RoundingMode.HALF_UP).longValueExact();
    } catch (NumberFormatException | ArithmeticException e) {
      problem(ctx, 400, "delay must be a number of seconds from 0 to 60, e.g. /delay/0.05");
      return;
    }
    answerAfter(ctx, delayMs, new JsonObject().put("delayedMs", delayMs));
  }

  private void answerAfter(RoutingContext ctx, long delayMs, JsonObject body) {
    if (delayMs == 0) {
      ctx.json(body);
      return;
    }
    // A timer, not a sleep: the event loop serves every other request while this one waits.
    long timer = vertx.setTimer(delayMs, fired -> {
      if (!ctx.response().closed()) {
        ctx.json(body);
      }
    });
    // A caller that gives up should not leave a timer behind to write into a dead connection.
    ctx.response().closeHandler(closed -> vertx.cancelTimer(timer));
  }

  /**
   * {@code /tail?fastMs=5&slowMs=250&slowPercent=5}: usually fast, sometimes slow, at random; the long tail
   * that hedging is for.
   */
  private void tail(RoutingContext ctx) {
    long fastMs;
    long slowMs;
    int slowPercent;
    try {
      fastMs = boundedParam(ctx, "fastMs", 5, 60_000);
      slowMs = boundedParam(ctx, "slowMs", 250, 60_000);
      slowPercent = (int) boundedParam(ctx, "slowPercent", 5, 100);
    } catch (NumberFormatException e) {
      problem(ctx, 400, "use /tail?fastMs=5&slowMs=250&slowPercent=5 (milliseconds up to 60000, a percent up to 100)");
      return;
    }
    boolean slow = java.util.concurrent.ThreadLocalRandom.current().nextInt(100) < slowPercent;
    long delayMs = slow ? slowMs : fastMs;
    answerAfter(ctx, delayMs, new JsonObject().put("delayedMs", delayMs).put("slow", slow));
  }

  private static long boundedParam(RoutingContext ctx, String name, long fallback, long max) {
    String value = ctx.queryParams().get(name);
    if (value == null) {
      return fallback;
    }
    if (!value.matches("\\d{1,5}")) {
      throw new NumberFormatException(name);
    }
    long parsed = Long.parseLong(value);
    if (parsed > max) {
      throw new NumberFormatException(name);
    }
    return parsed;
  }

  private void status(RoutingContext ctx) {
    String code = ctx.pathParam("code");
    int status = SMALL_NUMBER.matcher(code).matches() ? Integer.parseInt(code) : -1;
    // 1xx are interim responses: sent as the final one, the client would wait for a real answer that never comes.
    if (status < 200 || status > 599) {
      problem(ctx, 400, "status must be a final HTTP status from 200 to 599, got " + code);
      return;
    }
    ctx.response().setStatusCode(status);
    // 204 and 304 must not carry a body (RFC 9110 §15.3.5, §15.4.5).
    if (status == 204 || status == 304) {
      ctx.response().end();
    } else {
      ctx.json(new JsonObject().put("status", status));
    }
  }

  // Deliberately answers nothing: the request stays open until the caller times out or the server stops.
  private void hang(RoutingContext ctx) {}

  // "about:blank" (RFC 9457 §4.2.1): these problems mean no more than their HTTP status, so the title is its phrase.
  private static void problem(RoutingContext ctx, int status, String detail) {
    JsonObject body = new JsonObject()
        .put("type", "about:blank")
        .put("title", HttpResponseStatus.valueOf(status).reasonPhrase())
        .put("status", status)
        .put("detail", detail)
        .put("instance", ctx.request().path());
    ctx.response()
        .setStatusCode(status)
        .putHeader("Content-Type", PROBLEM_JSON)
        .end(body.toBuffer());
  }
}
