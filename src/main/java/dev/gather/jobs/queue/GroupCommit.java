package dev.gather.jobs.queue;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * One write in flight at a time, carrying everything that arrived while the previous one was in flight (up to
 * {@code maxBatch}). Under load that is one statement, one round trip and one commit for many items; when idle,
 * an item is written at once. Used for enqueues, run outcomes and wake-up NOTIFYs. Single event loop only.
 */
final class GroupCommit<T> {
  private final int maxBatch;
  private final Function<List<T>, Future<?>> write;
  private final List<T> pending = new ArrayList<>();
  private final List<Promise<Void>> idleWaiters = new ArrayList<>();
  private List<T> inFlight = List.of();
  private boolean writing;

  /** {@code write}: writes one batch; the next starts when its future completes, either way. */
  GroupCommit(int maxBatch, Function<List<T>, Future<?>> write) {
    this.maxBatch = maxBatch;
    this.write = write;
  }

  void add(T item) {
    pending.add(item);
    if (!writing) {
      next();
    }
  }

  /** Puts a batch that could not be written back in front, to go first in the next write. */
  void retryFirst(List<T> batch) {
    pending.addAll(0, batch);
  }

  /** Drops whatever waits to be written (the caller gave up on it). */
  List<T> dropPending() {
    List<T> dropped = List.copyOf(pending);
    pending.clear();
    return dropped;
  }

  /** Items handed in and not written yet: the batch in flight, then those waiting. */
  List<T> unwritten() {
    List<T> all = new ArrayList<>(inFlight.size() + pending.size());
    all.addAll(inFlight);
    all.addAll(pending);
    return all;
  }

  /** Someone waits in {@link #idle()}, e.g. a shutdown. */
  boolean awaitedIdle() {
    return !idleWaiters.isEmpty();
  }

  /** Completes once everything handed in so far is written (or given up on by the write function). */
  Future<Void> idle() {
    if (!writing && pending.isEmpty()) {
      return Future.succeededFuture();
    }
    Promise<Void> promise = Promise.promise();
    idleWaiters.add(promise);
    return promise.future();
  }

  private void next() {
    if (pending.isEmpty()) {
      writing = false;
      idleWaiters.forEach(Promise::tryComplete);
      idleWaiters.clear();
      return;
    }
    writing = true;
    List<T> batch = new ArrayList<>(pending.subList(0, Math.min(maxBatch, pending.size())));
    pending.subList(0, batch.size()).clear();
    inFlight = batch;
    Future<?> written;
    try {
      written = write.apply(batch);
    } catch (RuntimeException e) {
      written = Future.failedFuture(e);
    }
    written.onComplete(done -> {
      inFlight = List.of();
      next();
    });
  }
}
