package dev.gather.http;

import io.vertx.core.json.JsonObject;

/**
 * A failure a client caused or must be told about, carried through {@code ctx.fail(..)} to
 * {@link Problems}, which renders it as RFC 9457 problem+json.
 */
public final class ApiError extends RuntimeException {
  private final int status;
  private final String type;
  private final JsonObject extensions;

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
