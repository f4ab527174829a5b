package dev.gather.jobs.api;

import dev.gather.http.ApiError;
import dev.gather.http.RequestParams;
import dev.gather.jobs.handler.JobHandler;
import dev.gather.jobs.handler.JobHandlers;
import dev.gather.jobs.run.ComputeRequests;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.UUID;

/**
 * {@code POST /compute/{kind}}: runs one job kind on its worker pool and answers with the result, the way
 * {@code await loop.run_in_executor(...)} does, but with a timeout, a bounded queue and input validation.
 */
public final class ComputeApi {
  /** Slack on the event-bus wait, so that the lane's own 504 (which says more) arrives first. */
  private static final long REPLY_SLACK_MS = 1000;

  private final Vertx vertx;
  private final JobHandlers handlers;
  private final long maxTimeoutMs;

  public ComputeApi(Vertx vertx, JobHandlers handlers, long maxTimeoutMs) {
    this.vertx = vertx;
    this.handlers = handlers;
    this.maxTimeoutMs = maxTimeoutMs;
  }

  public void compute(RoutingContext ctx) {
    String kind = ctx.pathParam("kind");
    JobHandler handler = JobInputs.handler(handlers, kind, 404);
    JsonObject input = JobInputs.validated(handler, RequestParams.jsonObject(ctx, "the job's input", new JsonObject()));
    long timeoutMs = RequestParams.queryNumber(ctx, "timeoutMs", maxTimeoutMs, 1, maxTimeoutMs);
    String id = UUID.randomUUID().toString();
    ctx.response().closeHandler(closed -> vertx.eventBus().send(ComputeRequests.CANCEL, new ComputeRequests.Cancel(id)));
    vertx.eventBus().<Object>request(ComputeRequests.CALL,
            new ComputeRequests.Call(id, kind, input, timeoutMs),
            new DeliveryOptions().setSendTimeout(timeoutMs + REPLY_SLACK_MS))
        .onSuccess(reply -> {
          if (reply.body() instanceof ComputeRequests.Computed computed) {
            ctx.json(new JsonObject().put("kind", kind).put("result", computed.result()).put("ms", computed.ms()));
          } else if (reply.body() instanceof ComputeRequests.Busy busy) {
            ctx.fail(new ApiError(503, "busy", busy.detail()).retryAfterMs(busy.retryAfterMs()));
          }
        })
        .onFailure(e -> {
          if (!ctx.response().closed()) {
            ctx.fail(problem(kind, timeoutMs, e));
          }
        });
  }

  private static ApiError problem(String kind, long timeoutMs, Throwable failure) {
    if (!(failure instanceof ReplyException reply)) {
      return new ApiError(500, "job-failed", kind + " failed: " + failure.getMessage());
    }
    return switch (reply.failureType()) {
      case NO_HANDLERS -> new ApiError(503, "no-workers",
          "this gather runs no job workers (jobs.enabled is false, or it is stopping); send the call to one that does");
      case TIMEOUT -> new ApiError(504, "timeout", "the " + kind + " call did not finish within " + timeoutMs + " ms");
      default -> switch (reply.failureCode()) {
        case 503 -> new ApiError(503, "busy", reply.getMessage());
        case 504 -> new ApiError(504, "timeout", reply.getMessage());
        case 422 -> ApiError.badRequest(kind + " rejected its input: " + reply.getMessage());
        default -> new ApiError(500, "job-failed", kind + " failed: " + reply.getMessage());
      };
    };
  }
}
