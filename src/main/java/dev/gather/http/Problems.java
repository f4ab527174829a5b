package dev.gather.http;

import dev.gather.failure.Failure;
import dev.gather.trace.Tracing;
import dev.gather.wire.HeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.HttpException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns every failure into an RFC 9457 {@code application/problem+json} answer. Whatever goes wrong, the
 * client gets a status, a title and a detail it can act on, and never a stack trace.
 */
public final class Problems {
  /** How long, and how much, a refused body is still read before its connection closes (see lingerThenClose). */
  private static final long LINGER_MS = 500;
  private static final long LINGER_BYTES = 4L * 1024 * 1024;
  public static final String CONTENT_TYPE = "application/problem+json";
  public static final String TYPE_PREFIX = "urn:gather:problem:";
  private static final Logger LOG = LoggerFactory.getLogger(Problems.class);

  /** Failure handler of every route, and of the router's own errors (no route, wrong method or media type). */
  public void handle(RoutingContext ctx) {
    send(ctx, toApiError(ctx));
  }

  private ApiError toApiError(RoutingContext ctx) {
    Throwable failure = ctx.failure();
    if (failure instanceof ApiError error) {
      return error;
    }
    if (failure instanceof Failure known) {
      return fromFailure(known);
    }
    if (failure instanceof DecodeException) {
      return ApiError.badRequest("request body is not valid JSON");
    }
    if (failure instanceof NumberFormatException || failure instanceof io.netty.handler.codec.DecoderException) {
      // The codec failed on the body after the head was routed (a chunk size that is not hex): the client's.
      return new ApiError(400, "bad-chunk", "the request body's chunked encoding is malformed");
    }
    int status = failure instanceof HttpException http ? http.getStatusCode() : ctx.statusCode();
    return switch (status) {
      case 400 -> ApiError.badRequest("the request is malformed");
      case 404 -> new ApiError(404, "not-found", "no resource at " + ctx.request().path());
      case 405 -> new ApiError(405, "method-not-allowed",
          ctx.request().method() + " is not allowed on " + ctx.request().path());
      case 413 -> new ApiError(413, "body-too-large", "the request body is larger than http.maxBodyBytes allows");
      case 415 -> new ApiError(415, "unsupported-media-type", "send the body as application/json (got "
          + (ctx.request().getHeader(HeaderNames.CONTENT_TYPE) == null ? "no Content-Type"
              : ctx.request().getHeader(HeaderNames.CONTENT_TYPE))
          + ")");
      case 503 -> new ApiError(503, "unavailable", "the request could not be served in time; retry later");
      default -> {
        if (status >= 400 && status < 500) {
          yield new ApiError(status, "client-error", HttpResponseStatus.valueOf(status).reasonPhrase());
        }
        LOG.error("request {} {} failed (request id {})", ctx.request().method(), ctx.request().path(),
            RequestIds.of(ctx), failure);
        yield new ApiError(500, "internal", "unexpected error; quote request id " + RequestIds.of(ctx)
            + " when reporting it");
      }
    };
  }

  /**
   * A failure in gather's own vocabulary: its kind decides the status, and its type is the kind's wire name
   * (so {@code urn:gather:problem:not-found} for {@code not_found}).
   */
  static ApiError fromFailure(Failure failure) {
    ApiError error = new ApiError(failure.kind().httpStatus(), failure.kind().wireName().replace('_', '-'),
        failure.detail());
    failure.retryAfterMs().ifPresent(error::retryAfterMs);
    return error;
  }

  /** The problem+json body of {@code error}, for answers made where no route runs (the codec, a connection). */
  public static JsonObject body(ApiError error, String instance, String requestId) {
    JsonObject body = new JsonObject()
        .put("type", TYPE_PREFIX + error.type())
        .put("title", HttpResponseStatus.valueOf(error.status()).reasonPhrase())
        .put("status", error.status())
        .put("detail", error.getMessage())
        .put("instance", instance)
        .put("requestId", requestId);
    return body.mergeIn(error.extensions());
  }

  /** Whether the request announced a body (one without is merely not "ended" until its empty end is read). */
  private static boolean hasBody(io.vertx.core.http.HttpServerRequest request) {
    String length = request.getHeader(HttpHeaders.CONTENT_LENGTH);
    return request.headers().contains(HttpHeaders.TRANSFER_ENCODING) || (length != null && !"0".equals(length));
  }

  private static void send(RoutingContext ctx, ApiError error) {
    if (ctx.response().headWritten()) {
      // A stream already under way cannot change its status; cutting the connection tells the client.
      ctx.response().reset();
      return;
    }
    JsonObject body = body(error, ctx.request().path(), RequestIds.of(ctx));
    // The request's trace, so that a client's complaint leads to every span of it; absent when tracing is off.
    String traceId = Tracing.traceId();
    if (traceId != null) {
      body.put("traceId", traceId);
    }
    error.retryAfterSeconds().ifPresent(seconds ->
        ctx.response().putHeader(HeaderNames.RETRY_AFTER, String.valueOf(seconds)));
    boolean unread = !ctx.request().isEnded() && hasBody(ctx.request());
    if (unread) {
      // The body was refused (413, 405, a failed upstream...): reading the rest to keep the connection would let
      // a client make gather swallow any number of bytes, so the answer says close and the connection goes.
      ctx.response().putHeader(HttpHeaders.CONNECTION, HttpHeaders.CLOSE);
    }
    ctx.response()
        .setStatusCode(error.status())
        .putHeader(HeaderNames.CONTENT_TYPE, CONTENT_TYPE)
        .end(body.toBuffer())
        .onComplete(sent -> {
          if (unread) {
            lingerThenClose(ctx);
          }
        });
  }

  /**
   * Closes a connection whose refused body is still coming, after reading and dropping what arrives for up to
   * {@link #LINGER_MS} or {@link #LINGER_BYTES}: closing a socket with unread bytes makes the kernel send a reset,
   * and a reset can destroy the answer in the client's buffers before it reads it (what nginx's lingering close
   * is for). Bounded both ways, so that a client still cannot make gather swallow any number of bytes.
   */
  private static void lingerThenClose(RoutingContext ctx) {
    HttpServerRequest request = ctx.request();
    HttpConnection connection = request.connection();
    if (request.isEnded()) {
      connection.close();
      return;
    }
    long timer = ctx.vertx().setTimer(LINGER_MS, late -> connection.close());
    long[] dropped = {0};
    Runnable close = () -> {
      ctx.vertx().cancelTimer(timer);
      connection.close();
    };
    try {
      request.handler(chunk -> {
        dropped[0] += chunk.length();
        if (dropped[0] > LINGER_BYTES) {
          close.run();
        }
      });
      request.endHandler(ended -> close.run());
      request.exceptionHandler(failed -> close.run());
      request.resume();
    } catch (IllegalStateException alreadyRead) {
      close.run();
    }
  }
}
