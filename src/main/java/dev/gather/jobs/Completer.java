package dev.gather.jobs;

import dev.gather.db.DbClient;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes run outcomes back in batches: one statement at a time, carrying every outcome that arrived while the
 * previous one was in flight. Under load that makes one UPDATE for many jobs; when idle, each outcome is written
 * at once. If the database is down the outcomes wait and are retried; should this process die meanwhile, the
 * rescuer requeues the jobs (at-least-once).
 */
final class Completer {
  private static final Logger LOG = LoggerFactory.getLogger(Completer.class);
  /** Small enough that one statement stays well inside db.queryTimeoutMs even on a table without statistics. */
  private static final int MAX_BATCH = 500;
  private static final long RETRY_MS = 1000;
  private static final long STOP_RETRY_MS = 200;
  private static final int STOP_TRIES = 3;

  private final Vertx vertx;
  private final DbClient db;
  private final String owner;
  private final List<Outcome> pending = new ArrayList<>();
  private final List<Promise<Void>> idleWaiters = new ArrayList<>();
  private List<Outcome> inFlight = List.of();
  private boolean writing;
  private int triesWhileStopping;

  Completer(Vertx vertx, DbClient db, String owner) {
    this.vertx = vertx;
    this.db = db;
    this.owner = owner;
  }

  void add(Outcome outcome) {
    pending.add(outcome);
    if (!writing) {
      write();
    }
  }

  /**
   * The jobs whose outcome is not stored yet. They are still 'running' in the table, so their leases must go on
   * being renewed until it is; otherwise a slow database would get them rescued and run a second time.
   */
  List<JobRequests.Lease> unwritten() {
    List<JobRequests.Lease> leases = new ArrayList<>(pending.size() + inFlight.size());
    pending.forEach(o -> leases.add(new JobRequests.Lease(o.id(), o.attempt())));
    inFlight.forEach(o -> leases.add(new JobRequests.Lease(o.id(), o.attempt())));
    return leases;
  }

  /** Completes once every outcome handed in so far is written (or could not be, after one more try). */
  Future<Void> idle() {
    if (!writing && pending.isEmpty()) {
      return Future.succeededFuture();
    }
    Promise<Void> promise = Promise.promise();
    idleWaiters.add(promise);
    return promise.future();
  }

  private void write() {
    if (pending.isEmpty()) {
      writing = false;
      idleWaiters.forEach(Promise::tryComplete);
      idleWaiters.clear();
      return;
    }
    writing = true;
    List<Outcome> batch = new ArrayList<>(pending.subList(0, Math.min(MAX_BATCH, pending.size())));
    pending.subList(0, batch.size()).clear();
    inFlight = batch;
    db.<JobRequests.Applied>request(JobRequests.FINISH, new JobRequests.Finish(owner, batch))
        .onSuccess(applied -> {
          inFlight = List.of();
          if (applied.ids().size() < batch.size()) {
            LOG.info("{} of {} job outcomes not applied: their lease had expired and they were rescued",
                batch.size() - applied.ids().size(), batch.size());
          }
          write();
        })
        .onFailure(e -> {
          LOG.warn("could not store {} job outcomes ({}); retrying in {} ms", batch.size(), e.getMessage(), RETRY_MS);
          inFlight = List.of();
          pending.addAll(0, batch);
          if (!idleWaiters.isEmpty() && ++triesWhileStopping > STOP_TRIES) {
            // Stopping, and the database still refuses: give up rather than hold the shutdown. Nothing is lost
            // for good: these jobs are still 'running', and their leases run out and get them rescued.
            LOG.warn("giving up on the outcomes of jobs {}; they will be rescued when their leases expire",
                pending.stream().map(Outcome::id).toList());
            pending.clear();
            write();
            return;
          }
          vertx.setTimer(idleWaiters.isEmpty() ? RETRY_MS : STOP_RETRY_MS, t -> write());
        });
  }
}
