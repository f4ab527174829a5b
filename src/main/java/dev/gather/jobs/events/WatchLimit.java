package dev.gather.jobs.events;

import io.vertx.core.Vertx;
import io.vertx.core.shareddata.Shareable;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * How many jobs this process's watchers may follow at once (jobs.maxWatchers), shared by every HTTP verticle: each
 * event stream and each Prefer: wait holds a connection, a slot in the poll and a little memory, so their number is
 * bounded whatever clients do.
 */
public final class WatchLimit implements Shareable {
  private static final String SHARED_MAP = "gather.jobs.watchers";
  private final int max;
  private final AtomicInteger taken = new AtomicInteger();

  WatchLimit(int max) {
    this.max = max;
  }

  /** The one of this Vert.x instance (one gather process), made by the first verticle that asks. */
  public static WatchLimit shared(Vertx vertx, int max) {
    return vertx.sharedData().<String, WatchLimit>getLocalMap(SHARED_MAP)
        .computeIfAbsent("limit", name -> new WatchLimit(max));
  }

  public int max() {
    return max;
  }

  /** False when all slots are taken. */
  boolean tryTake() {
    while (true) {
      int now = taken.get();
      if (now >= max) {
        return false;
      }
      if (taken.compareAndSet(now, now + 1)) {
        return true;
      }
    }
  }

  void give() {
    taken.decrementAndGet();
  }
}
