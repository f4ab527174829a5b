package dev.gather.jobs.api;

import dev.gather.http.ApiError;
import dev.gather.jobs.handler.JobHandler;
import dev.gather.jobs.handler.JobHandlers;
import io.vertx.core.json.JsonObject;

/** The checks {@code POST /compute} and {@code POST /jobs} share: the kind exists, and its handler accepts the input. */
final class JobInputs {
  private JobInputs() {}

  static JobHandler handler(JobHandlers handlers, String kind, int statusWhenUnknown) {
    return handlers.find(kind).orElseThrow(() -> new ApiError(statusWhenUnknown,
        statusWhenUnknown == 404 ? "not-found" : "bad-request",
        "no job kind \"" + kind + "\"; known kinds are " + String.join(", ", handlers.names())));
  }

  static JsonObject validated(JobHandler handler, JsonObject input) {
    try {
      handler.validate(input);
      return input;
    } catch (IllegalArgumentException e) {
      throw new ApiError(400, "validation", handler.name() + " input: " + e.getMessage());
    } catch (RuntimeException e) {
      // A handler whose check itself broke must not turn bad input into a 500 with no hint.
      throw new ApiError(400, "validation", handler.name() + " input rejected: " + e);
    }
  }
}
