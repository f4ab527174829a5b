package dev.gather.jobs;

import io.vertx.core.json.JsonObject;

/** The messages between {@code POST /compute} on the HTTP verticles and the job lanes. */
final class ComputeRequests {
  static final String CALL = "gather.compute";
  static final String CANCEL = "gather.compute.cancel";

  private ComputeRequests() {}

  /** An input already validated by the kind's handler. */
  record Call(String id, String kind, JsonObject input, long timeoutMs) {}

  record Computed(JsonObject result, long ms) {}

  /** Turned away: every runner busy and the queue full; a runner is expected free in {@code retryAfterMs}. */
  record Busy(String detail, long retryAfterMs) {}

  record Cancel(String id) {}
}
