package dev.gather.upstream;

import dev.gather.failure.FailureKind;
import dev.gather.time.Timers;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.function.Function;

/**
 * Identical calls to one upstream in flight at the same time share one call and its answer. The first caller's
 * call is made; later ones join it and are answered on their own event loops. A caller that leaves (cancelled,
 * or its own timeout) stops waiting; the shared call is cancelled only when every caller has left. Shared by
 * the process; thread-safe.
 */
final class Coalescer {
  private final ConcurrentHashMap<String, Flight> flights = new ConcurrentHashMap<>();
  private final Timers timers;

  Coalescer(Timers timers) {
    this.timers = timers;
  }

  /** {@link #share(String, Executor, Cancellation, long, Function, Runnable)} for a caller on {@code context}. */
  <T> Future<T> share(String key, Context context, Cancellation cancellation, long timeoutMs,
      Function<Cancellation, Future<T>> call, Runnable joined) {
    return share(key, task -> context.runOnContext(v -> task.run()), cancellation, timeoutMs, call, joined);
  }

  /**
   * The answer of the call in flight under {@code key}, or of a new one that {@code call} makes (given the
   * cancellation of the shared call). {@code joined} tells whether this caller joined another's call. Called on
   * the caller's thread, which {@code resumeOn} gets back to: the answer arrives there, and when every caller
   * has left, the shared call is cancelled on its maker's.
   */
  <T> Future<T> share(String key, Executor resumeOn, Cancellation cancellation, long timeoutMs,
      Function<Cancellation, Future<T>> call, Runnable joined) {
    while (true) {
      @SuppressWarnings("unchecked")
      Flight<T> existing = flights.get(key);
      if (existing != null) {
        Future<T> answer = existing.join(resumeOn, cancellation, timeoutMs);
        if (answer != null) {
          joined.run();
          return answer;
        }
        continue; // it finished just now: make a new one
      }
      Flight<T> flight = new Flight<>(resumeOn, timers);
      if (flights.putIfAbsent(key, flight) != null) {
        continue;
      }
      Future<T> own = flight.join(resumeOn, cancellation, timeoutMs);
      call.apply(flight.shared).onComplete(result -> {
        flights.remove(key, flight);
        flight.finish(result.succeeded(), result.result(), result.cause());
      });
      return own;
    }
  }

  private static final class Flight<T> {
    private final Executor owner;
    private final Timers timers;
    private final Cancellation shared = new Cancellation();
    private final List<Waiter<T>> waiters = new ArrayList<>();
    private boolean done;

    private record Waiter<T>(Executor resumeOn, Promise<T> promise) {}

    Flight(Executor owner, Timers timers) {
      this.owner = owner;
      this.timers = timers;
    }

    /** A place among the callers, or null when the call has already finished. */
    synchronized Future<T> join(Executor resumeOn, Cancellation cancellation, long timeoutMs) {
      if (done) {
        return null;
      }
      Waiter<T> waiter = new Waiter<>(resumeOn, Promise.promise());
      waiters.add(waiter);
      Runnable unregister = cancellation.onCancel(() -> leave(waiter,
          new CallFailure(FailureKind.CANCELLED, null, "the request was cancelled")));
      Timers.Scheduled timer = timers.schedule(timeoutMs, () -> leave(waiter,
          new CallFailure(FailureKind.TIMEOUT, null, "the shared call did not answer within " + timeoutMs + " ms")));
      return waiter.promise().future().onComplete(settled -> {
        timer.cancel();
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
        owner.execute(shared::cancel);
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
        waiter.resumeOn().execute(() -> {
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
