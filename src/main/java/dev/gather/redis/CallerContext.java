package dev.gather.redis;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

/**
 * Redis answers on its connection's event loop, which is seldom the caller's: what follows a Redis call (writing a
 * response, touching a verticle's fields) must go back to the caller's context first.
 */
public final class CallerContext {
  private CallerContext() {}

  /** {@code future}'s outcome, delivered on {@code context} (as it is when there is none: a test's thread). */
  public static <T> Future<T> resume(Context context, Future<T> future) {
    if (context == null) {
      return future;
    }
    Promise<T> promise = Promise.promise();
    future.onComplete(done -> {
      if (Vertx.currentContext() == context) {
        promise.handle(done);
      } else {
        context.runOnContext(v -> promise.handle(done));
      }
    });
    return promise.future();
  }

  /** {@code future}'s outcome, delivered on the context calling this. */
  public static <T> Future<T> resume(Future<T> future) {
    return resume(Vertx.currentContext(), future);
  }
}
