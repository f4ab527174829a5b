package dev.gather.upstream;

import dev.gather.failure.Failure;
import dev.gather.failure.FailureKind;
import dev.gather.time.Ticker;
import java.util.ArrayList;
import java.util.List;

/**
 * Everything one client request has in flight upstream, to stop at once when that request is over: the client
 * left ({@code cancelled}), or its deadline passed ({@code timeout}, when the request has one). The request's
 * one deadline timer cancels it, so a call whose own timeout is not shorter than what is left needs no timer of
 * its own. Used on the request's event loop only.
 */
public final class Cancellation {
  private static final Failure CLIENT_LEFT = new Failure(FailureKind.CANCELLED, "the request was cancelled");

  private final List<Runnable> onCancel = new ArrayList<>();
  private final Ticker ticker;
  private final long deadlineNanos;
  private Failure reason;

  /** Without a deadline: cancelled only by hand (a hedge that lost, a shared call nobody waits for any more). */
  public Cancellation() {
    this(Ticker.SYSTEM, Long.MAX_VALUE);
  }

  private Cancellation(Ticker ticker, long deadlineNanos) {
    this.ticker = ticker;
    this.deadlineNanos = deadlineNanos;
  }

  /** For calls that belong to no client request. */
  public static Cancellation none() {
    return new Cancellation();
  }

  /**
   * For a request that ends {@code deadlineMs} from now on {@code ticker}; whoever owns it arranges for
   * {@link #cancel(Failure)} with a {@code timeout} at that moment.
   */
  public static Cancellation until(Ticker ticker, long deadlineMs) {
    return new Cancellation(ticker, ticker.nanoTime() + deadlineMs * 1_000_000L);
  }

  /** Runs {@code action} when the request is cancelled, at once if it already is. Returns a way to unregister. */
  public Runnable onCancel(Runnable action) {
    if (reason != null) {
      action.run();
      return () -> { };
    }
    onCancel.add(action);
    return () -> onCancel.remove(action);
  }

  public boolean cancelled() {
    return reason != null;
  }

  /** Why it was cancelled (a {@code cancelled} or {@code timeout} failure); null while it is not. */
  public Failure reason() {
    return reason;
  }

  /** Milliseconds left before the deadline; {@link Long#MAX_VALUE} when there is none. */
  public long msLeft() {
    return deadlineNanos == Long.MAX_VALUE ? Long.MAX_VALUE : (deadlineNanos - ticker.nanoTime()) / 1_000_000;
  }

  /** The client left. */
  public void cancel() {
    cancel(CLIENT_LEFT);
  }

  /** Stops everything registered, telling each why; only the first reason counts. */
  public void cancel(Failure why) {
    if (reason != null) {
      return;
    }
    reason = why;
    List<Runnable> actions = new ArrayList<>(onCancel);
    onCancel.clear();
    actions.forEach(Runnable::run);
  }
}
