package dev.gather.jobs.run;

import dev.gather.jobs.handler.JobHandlers;
import dev.gather.jobs.handler.JobPool;
import dev.gather.jobs.queue.Completer;
import dev.gather.jobs.queue.JobRequests;
import dev.gather.jobs.queue.JobStore;
import dev.gather.jobs.queue.LimitedClaims;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.sqlclient.Pool;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The scheduling of one worker pool, on the jobs verticle's event loop: its {@link RunnerPool}, the
 * {@link ComputeQueue} and the {@link JobFeed} of durable jobs. Whenever a runner is free it takes a waiting compute
 * call first (a client is waiting on each), else a job claimed ahead; then the feed claims what there is room for.
 * The lane also drains all three at shutdown.
 */
final class Lane {
  private static final long STOP_GRACE_MS = 1000;

  private final Vertx vertx;
  private final RunnerPool runners;
  private final ComputeQueue computes;
  private final JobFeed feed;
  private boolean stopping;
  private Promise<Void> drained;

  Lane(JobPool pool, Vertx vertx, JobStore store, LimitedClaims limitedClaims, Pool handlersPool,
      JobHandlers handlers, JobSettings settings, Completer completer, JobMetrics metrics) {
    this.vertx = vertx;
    // The jobs verticle's event loop: where jobs start their asynchronous calls (see JobContext.await).
    Context eventLoop = vertx.getOrCreateContext();
    this.runners = new RunnerPool(vertx, pool, settings.runners(pool), this::afterRun);
    this.computes = new ComputeQueue(pool, vertx, eventLoop, handlersPool, handlers, settings, metrics, runners,
        this::untilRunnerFreeMs);
    this.feed = new JobFeed(pool, vertx, eventLoop, store, handlersPool, handlers, limitedClaims, settings, completer,
        metrics, runners,
        new OutcomePolicy(settings.backoff()::delayMs, settings.maxSnoozes()), computes::hasWaiting, this::afterRun);
    metrics.lane(pool, () -> feed.runningCount() + computes.runningCount(), computes::waitingCount,
        feed::prefetchedCount);
  }

  void compute(Message<ComputeRequests.Call> message) {
    computes.offer(message);
  }

  void cancelCompute(String id) {
    computes.cancel(id);
  }

  /** New jobs may be due (a NOTIFY, the poll): claim if there is room. */
  void wake() {
    feed.wake();
  }

  /** See {@link JobFeed#hasConcurrencyLimits()}. */
  boolean hasConcurrencyLimits() {
    return feed.hasConcurrencyLimits();
  }

  /** A DELETE /jobs/{id} reached this process: stop the job if it is here. */
  void cancelJob(long id) {
    feed.cancel(id);
  }

  /** Every lease this lane holds: jobs running (even past their timeout, until abandoned) and claimed ahead. */
  List<JobRequests.Lease> held() {
    List<JobRequests.Lease> leases = new ArrayList<>();
    feed.held(leases);
    return leases;
  }

  /** Adds the progress reported since the last heartbeat (see {@link JobFeed#progress}). */
  void progress(Map<JobRequests.Lease, JobRequests.Reported> into) {
    feed.progress(into);
  }

  /** The heartbeat that carried these reports failed: they go with the next one. */
  void progressNotWritten(Map<JobRequests.Lease, JobRequests.Reported> reports) {
    feed.progressNotWritten(reports);
  }

  /** The heartbeat found these leases no longer ours (rescued after a long pause): drop them. */
  void leaseLost(Set<JobRequests.Lease> lost) {
    feed.leaseLost(lost);
  }

  /** See {@link RunnerWait}: runs of jobs and of compute calls, each judged by the recent runs of its sort. */
  private long untilRunnerFreeMs() {
    List<RunnerWait.InFlight> running = new ArrayList<>();
    feed.inFlight(running);
    computes.inFlight(running);
    return RunnerWait.untilFirstFreeMs(running, System.nanoTime());
  }

  /** A runner came free or a claim was answered. */
  private void afterRun() {
    checkDrained();
    dispatch();
  }

  private void dispatch() {
    while (runners.hasIdle() && !stopping) {
      if (computes.hasWaiting()) {
        computes.startNext();
      } else if (feed.hasPrefetched()) {
        feed.startNext();
      } else {
        break;
      }
    }
    feed.fetch();
  }

  /** Drained: nothing runs, and no claim is on its way whose jobs would then need handing back. */
  private void checkDrained() {
    if (drained != null && feed.idle() && computes.idle()) {
      drained.tryComplete();
    }
  }

  /**
   * Stops taking work and hands back what never started; running work gets {@code drainMs} to finish, is then
   * asked to stop, and whatever still runs after a short grace is released for another process to redo.
   */
  Future<Void> stop(long drainMs) {
    stopping = true;
    feed.stop();
    computes.stop();
    drained = Promise.promise();
    checkDrained();
    long askTimer = vertx.setTimer(Math.max(1, drainMs), t -> {
      feed.askToStop();
      computes.askToStop();
    });
    long giveUpTimer = vertx.setTimer(Math.max(1, drainMs) + STOP_GRACE_MS, t -> {
      feed.handBack();
      drained.tryComplete();
    });
    return drained.future().onComplete(done -> {
      vertx.cancelTimer(askTimer);
      vertx.cancelTimer(giveUpTimer);
    });
  }
}
