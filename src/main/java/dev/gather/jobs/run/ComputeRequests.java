package dev.gather.jobs.run;

import io.vertx.core.json.JsonObject;

/** The messages between {@code POST /compute} on the HTTP verticles and the job lanes. */
public final class ComputeRequests {
  public static final String CALL = "gather.compute";
  public static final String CANCEL = "gather.compute.cancel";

  private ComputeRequests() {}

  /** An input already validated by the kind's handler. */
  public record Call(String id, String kind, JsonObject input, long timeoutMs) {}

  public record Computed(JsonObject result, long ms) {}

  /** Turned away: every runner busy and the queue full; a runner is expected free in {@code retryAfterMs}. */
  public record Busy(String detail, long retryAfterMs) {}

  public record Cancel(String id) {}
}
