package dev.gather.upstream;

import java.util.ArrayList;
import java.util.List;

/**
 * Everything one client request has in flight upstream, to stop at once when that request is over (the client
 * left, or its deadline passed). Used on the request's event loop only.
 */
public final class Cancellation {
  private final List<Runnable> onCancel = new ArrayList<>();
  private boolean cancelled;

  /** Runs {@code action} when the request is cancelled, at once if it already is. Returns a way to unregister. */
  Runnable onCancel(Runnable action) {
    if (cancelled) {
      action.run();
      return () -> { };
    }
    onCancel.add(action);
    return () -> onCancel.remove(action);
  }

  public boolean cancelled() {
    return cancelled;
  }

  public void cancel() {
    if (cancelled) {
      return;
    }
    cancelled = true;
    List<Runnable> actions = new ArrayList<>(onCancel);
    onCancel.clear();
    actions.forEach(Runnable::run);
  }

  /** For calls that belong to no client request. */
  public static Cancellation none() {
    return new Cancellation();
  }
}
