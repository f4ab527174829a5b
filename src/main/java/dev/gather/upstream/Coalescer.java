package dev.gather.upstream;

import dev.gather.failure.FailureKind;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Identical calls to one upstream in flight at the same time share one call and its answer. The first caller's
 * call is made; later ones join it and are answered on their own event loops. A caller that leaves (cancelled,
 * or its own timeout) stops waiting; the shared call is cancelled only when every caller has left. Shared by
 * the process; thread-safe.
 */
final class Coalescer {
  private final ConcurrentHashMap<String, Flight> flights = new ConcurrentHashMap<>();

  /**
   * The answer of the call in flight under {@code key}, or of a new one that {@code call} makes (given the
   * cancellation of the shared call). {@code joined} tells whether this caller joined another's call.
   */
  <T> Future<T> share(String key, Context context, Cancellation cancellation, long timeoutMs,
      Function<Cancellation, Future<T>> call, Runnable joined) {
    while (true) {
      @SuppressWarnings("unchecked")
      Flight<T> existing = flights.get(key);
      if (existing != null) {
        Future<T> answer = existing.join(context, cancellation, timeoutMs);
        if (answer != null) {
          joined.run();
          return answer;
        }
        continue; // it finished just now: make a new one
      }
      Flight<T> flight = new Flight<>(context);
      if (flights.putIfAbsent(key, flight) != null) {
        continue;
      }
      Future<T> own = flight.join(context, cancellation, timeoutMs);
      call.apply(flight.shared).onComplete(result -> {
        flights.remove(key, flight);
        flight.finish(result.succeeded(), result.result(), result.cause());
      });
      return own;
    }
  }

  private static final class Flight<T> {
    private final Context owner;
    private final Cancellation shared = new Cancellation();
    private final List<Waiter<T>> waiters = new ArrayList<>();
    private boolean done;

    private record Waiter<T>(Context context, Promise<T> promise) {}

    Flight(Context owner) {
      this.owner = owner;
    }

    /** A place among the callers, or null when the call has already finished. */
    synchronized Future<T> join(Context context, Cancellation cancellation, long timeoutMs) {
      if (done) {
        return null;
      }
      Waiter<T> waiter = new Waiter<>(context, Promise.promise());
      waiters.add(waiter);
      Runnable unregister = cancellation.onCancel(() -> leave(waiter,
          new CallFailure(FailureKind.CANCELLED, null, "the request was cancelled")));
      long timer = context.owner().setTimer(Math.max(1, timeoutMs), t -> leave(waiter,
          new CallFailure(FailureKind.TIMEOUT, null, "the shared call did not answer within " + timeoutMs + " ms")));
      return waiter.promise().future().onComplete(settled -> {
        context.owner().cancelTimer(timer);
        unregister.run();
      });
    }

    private void leave(Waiter<T> waiter, CallFailure why) {
      boolean nobodyLeft;
      synchronized (this) {
        if (done || !waiters.remove(waiter)) {
          return;
        }
        nobodyLeft = waiters.isEmpty();
      }
      waiter.promise().tryFail(why);
      if (nobodyLeft) {
        owner.runOnContext(v -> shared.cancel());
      }
    }

    void finish(boolean ok, T value, Throwable failure) {
      List<Waiter<T>> answered;
      synchronized (this) {
        done = true;
        answered = new ArrayList<>(waiters);
        waiters.clear();
      }
      for (Waiter<T> waiter : answered) {
        waiter.context().runOnContext(v -> {
          if (ok) {
            waiter.promise().tryComplete(value);
          } else {
            waiter.promise().tryFail(failure);
          }
        });
      }
    }
  }
}
