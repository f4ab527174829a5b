package dev.gather.http;

import dev.gather.config.Integers;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/** Reading path and query parameters and JSON bodies the same way everywhere, with errors that quote what was sent. */
public final class RequestParams {
  private RequestParams() {}

  /** A positive integer id from the path. */
  public static long pathId(RoutingContext ctx) {
    String raw = ctx.pathParam("id");
    try {
      long id = Long.parseLong(raw);
      if (id > 0) {
        return id;
      }
    } catch (NumberFormatException e) {
      // reported below, with the value the client sent
    }
    throw ApiError.badRequest("id must be a positive integer, got \"" + raw + "\"");
  }

  /** An optional integer query parameter within [min, max]. */
  public static long queryNumber(RoutingContext ctx, String name, long fallback, long min, long max) {
    String raw = ctx.queryParams().get(name);
    if (raw == null) {
      return fallback;
    }
    try {
      return Integers.fromText(name, raw, min, max);
    } catch (Integers.Invalid e) {
      throw ApiError.badRequest(e.getMessage());
    }
  }

  /**
   * The body as a JSON object; {@code whatToSend} completes "send a JSON object with ..." in the error.
   * An empty or blank body (whitespace only) is {@code emptyAs}, or a 400 when that is null.
   */
  public static JsonObject jsonObject(RoutingContext ctx, String whatToSend, JsonObject emptyAs) {
    if (ctx.body() == null || blank(ctx.body().buffer())) {
      if (emptyAs != null) {
        return emptyAs;
      }
      throw ApiError.badRequest("request body is empty; send a JSON object with " + whatToSend);
    }
    Object json;
    try {
      json = Json.decodeValue(ctx.body().buffer());
    } catch (DecodeException e) {
      throw ApiError.badRequest("request body is not valid JSON; send a JSON object with " + whatToSend);
    }
    if (!(json instanceof JsonObject object)) {
      throw ApiError.badRequest("request body must be a JSON object with " + whatToSend);
    }
    return object;
  }

  /** No bytes, or only JSON whitespace: nothing a JSON parser could read, so "empty" rather than "invalid". */
  public static boolean blank(Buffer body) {
    if (body == null) {
      return true;
    }
    for (int i = 0; i < body.length(); i++) {
      byte b = body.getByte(i);
      if (b != ' ' && b != '\t' && b != '\r' && b != '\n') {
        return false;
      }
    }
    return true;
  }
}
