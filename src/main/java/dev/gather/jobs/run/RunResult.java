package dev.gather.jobs.run;

import dev.gather.jobs.queue.NulCharacters;
import io.vertx.core.json.JsonObject;

/** What a runner replies: the handler's result, or what it threw. Never a failed message, so nothing is lost. */
record RunResult(JsonObject result, Throwable failure) {
  boolean succeeded() {
    return failure == null;
  }

  /** The failure as a person reads it: the message, or the exception's type when it has none. */
  String error() {
    if (failure == null) {
      return null;
    }
    String message = failure.getMessage();
    // Stored as text, and a thrown message may carry any character.
    return message == null || message.isBlank() ? failure.getClass().getSimpleName() : NulCharacters.replaced(message);
  }
}
