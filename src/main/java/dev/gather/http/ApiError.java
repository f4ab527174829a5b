package dev.gather.http;

import io.vertx.core.json.JsonObject;
import java.util.OptionalLong;

/**
 * A failure a client caused or must be told about, carried through {@code ctx.fail(..)} to
 * {@link Problems}, which renders it as RFC 9457 problem+json.
 */
public final class ApiError extends RuntimeException {
  private final int status;
  private final String type;
  private final JsonObject extensions;
  private OptionalLong retryAfterMs = OptionalLong.empty();

  public ApiError(int status, String type, String detail, JsonObject extensions) {
    super(detail, null, false, false);
    this.status = status;
    this.type = type;
    this.extensions = extensions;
  }

  public ApiError(int status, String type, String detail) {
    this(status, type, detail, new JsonObject());
  }

  public static ApiError badRequest(String detail) {
    return new ApiError(400, "bad-request", detail);
  }

  /**
   * Says when a retry is worth it ({@code Retry-After}); only a part that knows sets it (an open breaker knows
   * its next probe), so a 503 without one says nothing rather than "1 s" by habit.
   */
  public ApiError retryAfterMs(long ms) {
    this.retryAfterMs = OptionalLong.of(Math.max(0, ms));
    return this;
  }

  /** Whole seconds, rounded up and at least 1 (the header's unit), when known. */
  public OptionalLong retryAfterSeconds() {
    return retryAfterMs.isPresent() ? OptionalLong.of(retryAfterSeconds(retryAfterMs.getAsLong()))
        : OptionalLong.empty();
  }

  /** {@code ms} as {@code Retry-After} says it: whole seconds, rounded up, at least 1. */
  public static long retryAfterSeconds(long ms) {
    return Math.max(1, (Math.max(0, ms) + 999) / 1000);
  }

  public int status() {
    return status;
  }

  public String type() {
    return type;
  }

  public JsonObject extensions() {
    return extensions;
  }
}
