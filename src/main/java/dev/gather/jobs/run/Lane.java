package dev.gather.jobs.run;

import dev.gather.jobs.handler.CancelSignal;
import dev.gather.jobs.handler.JobContext;
import dev.gather.jobs.handler.JobHandler;
import dev.gather.jobs.handler.JobHandlers;
import dev.gather.jobs.handler.JobPool;
import dev.gather.jobs.handler.PermanentJobFailure;
import dev.gather.jobs.queue.Completer;
import dev.gather.jobs.queue.JobRequests;
import dev.gather.jobs.queue.JobStatus;
import dev.gather.jobs.queue.JobStore;
import dev.gather.jobs.queue.Outcome;
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.sqlclient.Pool;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The scheduling of one worker pool, on the jobs verticle's event loop: which runners are idle, the compute calls
 * waiting for one, and the durable jobs claimed ahead. Compute calls go first (a client is waiting on each);
 * durable jobs are claimed for idle runners plus a prefetch sized by recent run times (see {@link #prefetch()}).
 */
final class Lane {
  private static final Logger LOG = LoggerFactory.getLogger(Lane.class);
  /** A run takes as long as it takes; its timeout is enforced by the signal, not by the message. */
  private static final DeliveryOptions NO_TIMEOUT = new DeliveryOptions().setSendTimeout(Long.MAX_VALUE / 2);
  private static final long STOP_GRACE_MS = 1000;
  /** How long a run past its timeout may take to notice before its outcome is written without it. */
  private static final long ABANDON_AFTER_MS = 5000;

  private final JobPool pool;
  private final Vertx vertx;
  /** The jobs verticle's event loop: where jobs start their asynchronous calls (see JobContext.await). */
  private final Context eventLoop;
  private final JobStore store;
  /** Given to the handlers' runs, for those that read the database. */
  private final Pool handlersPool;
  private final JobHandlers handlers;
  private final List<String> kinds;
  private final JobSettings settings;
  private final Completer completer;
  private final JobMetrics metrics;
  private final Deque<String> idle = new ArrayDeque<>();
  private final Deque<ComputeWork> waiting = new ArrayDeque<>();
  private final Deque<JobRequests.Claimed> prefetched = new ArrayDeque<>();
  private final Map<Long, Run> jobs = new HashMap<>();
  private final Map<String, Run> computes = new HashMap<>();
  private static final long PREFETCH_HORIZON_NANOS = 50_000_000;
  /** Weight of the newest run in the moving average of run times. */
  private static final double RUN_TIME_WEIGHT = 0.05;
  private double averageRunNanos;
  /** The same for compute calls: a client waits on each, so they are usually short; kept apart from the jobs'. */
  private double averageComputeNanos;
  private boolean fetching;
  private final Set<Long> cancelledDuringClaim = new HashSet<>();
  private boolean moreDue = true;
  private boolean wokeWhileFetching;
  private boolean stopping;
  private Promise<Void> drained;

  /** A compute call waiting for a runner, with the message to answer. */
  private record ComputeWork(ComputeRequests.Call call, Message<ComputeRequests.Call> message, long arrived) {}

  /** A run in flight. {@code claimed} is set for durable jobs, {@code message} for compute calls. */
  private static final class Run {
    final String kind;
    final CancelSignal signal;
    final JobRequests.Claimed claimed;
    final Message<ComputeRequests.Call> message;
    final long started = System.nanoTime();
    final long deadline;
    long timer = -1;
    /** Its outcome was written without it (it would not stop); whatever it returns later is ignored. */
    boolean abandoned;

    Run(String kind, CancelSignal signal, JobRequests.Claimed claimed, Message<ComputeRequests.Call> message,
        long timeoutNanos) {
      this.deadline = started + timeoutNanos;
      this.kind = kind;
      this.signal = signal;
      this.claimed = claimed;
      this.message = message;
    }
  }

  Lane(JobPool pool, Vertx vertx, JobStore store, Pool handlersPool, JobHandlers handlers, JobSettings settings,
      Completer completer, JobMetrics metrics) {
    this.pool = pool;
    this.vertx = vertx;
    this.eventLoop = vertx.getOrCreateContext();
    this.store = store;
    this.handlersPool = handlersPool;
    this.handlers = handlers;
    this.kinds = handlers.names(pool);
    this.settings = settings;
    this.completer = completer;
    this.metrics = metrics;
    int runners = settings.runners(pool);
    for (int i = 0; i < runners; i++) {
      idle.add(JobRunnerVerticle.address(pool, i));
    }
    metrics.lane(pool, () -> jobs.size() + computes.size(), waiting::size, prefetched::size);
  }

  // ---- compute calls ----

  void compute(Message<ComputeRequests.Call> message) {
    ComputeRequests.Call call = message.body();
    if (stopping) {
      message.fail(503, "gather is stopping; send the call to another instance");
    } else if (!idle.isEmpty()) {
      startCompute(new ComputeWork(call, message, System.nanoTime()));
    } else if (waiting.size() < settings.computeQueue()) {
      ComputeWork work = new ComputeWork(call, message, System.nanoTime());
      waiting.add(work);
      // The wait counts against the call's timeout: a call that never got a runner still ends on time.
      vertx.setTimer(call.timeoutMs(), t -> {
        if (waiting.remove(work)) {
          metrics.run("compute", call.kind(), "timeout", System.nanoTime() - work.arrived());
          message.fail(504, "no " + pool.label() + " worker became free within " + call.timeoutMs() + " ms");
        }
      });
    } else {
      metrics.computeRejected(pool);
      message.reply(new ComputeRequests.Busy("all " + settings.runners(pool) + " " + pool.label()
          + " workers are busy and " + waiting.size() + " calls are waiting (jobs.computeQueue); retry later",
          untilRunnerFreeMs()));
    }
  }

  /** See {@link RunnerWait}: runs of jobs and of compute calls, each judged by the recent runs of its sort. */
  private long untilRunnerFreeMs() {
    List<RunnerWait.InFlight> running = new ArrayList<>(jobs.size() + computes.size());
    jobs.values().forEach(run -> running.add(new RunnerWait.InFlight(run.started, run.deadline, averageRunNanos)));
    computes.values().forEach(run -> running.add(new RunnerWait.InFlight(run.started, run.deadline, averageComputeNanos)));
    return RunnerWait.untilFirstFreeMs(running, System.nanoTime());
  }

  void cancelCompute(String id) {
    waiting.removeIf(work -> work.call().id().equals(id));
    Run run = computes.get(id);
    if (run != null) {
      run.signal.raise(CancelSignal.Why.CANCELLED, "the client went away");
    }
  }

  private void startCompute(ComputeWork work) {
    ComputeRequests.Call call = work.call();
    JobHandler handler = handlers.find(call.kind()).orElseThrow();
    CancelSignal signal = new CancelSignal();
    long remainingMs = Math.max(1, call.timeoutMs() - (System.nanoTime() - work.arrived()) / 1_000_000);
    Run run = new Run(call.kind(), signal, null, work.message(), TimeUnit.MILLISECONDS.toNanos(remainingMs));
    computes.put(call.id(), run);
    run.timer = vertx.setTimer(remainingMs, t -> {
      if (signal.raise(CancelSignal.Why.TIMEOUT, "timed out after " + call.timeoutMs() + " ms")) {
        // Answer now; the runner stays busy until the handler notices, which the pool's count shows.
        work.message().fail(504, "the " + call.kind() + " call did not finish within " + call.timeoutMs() + " ms");
      }
    });
    JobContext context = new JobContext(call.input(), OptionalLong.empty(), 1, signal, eventLoop, handlersPool,
        settings.filesDir());
    send(run, new RunOrder(handler, context), result -> computeDone(call.id(), run, result));
  }

  private void computeDone(String id, Run run, RunResult result) {
    computes.remove(id);
    long nanos = System.nanoTime() - run.started;
    CancelSignal.Why why = run.signal.why();
    if (why == CancelSignal.Why.TIMEOUT) {
      metrics.run("compute", run.kind, "timeout", nanos);
      return; // already answered 504
    }
    if (why == CancelSignal.Why.CANCELLED) {
      metrics.run("compute", run.kind, "cancelled", nanos);
      run.message.fail(499, "cancelled"); // nobody is waiting for this answer any more
      return;
    }
    if (why == CancelSignal.Why.STOPPING && !result.succeeded()) {
      metrics.run("compute", run.kind, "cancelled", nanos);
      run.message.fail(503, "gather is stopping; send the call to another instance");
      return;
    }
    averageComputeNanos = averageComputeNanos <= 0 ? nanos
        : averageComputeNanos + RUN_TIME_WEIGHT * (nanos - averageComputeNanos);
    if (result.succeeded()) {
      metrics.run("compute", run.kind, "succeeded", nanos);
      run.message.reply(new ComputeRequests.Computed(result.result(), nanos / 1_000_000));
    } else {
      metrics.run("compute", run.kind, "failed", nanos);
      boolean badInput = result.failure() instanceof PermanentJobFailure || result.failure() instanceof IllegalArgumentException;
      run.message.fail(badInput ? 422 : 500, result.error());
    }
  }

  // ---- durable jobs ----

  /** New jobs may be due (a NOTIFY, the poll, a retry scheduled here): claim if there is room. */
  void wake() {
    moreDue = true;
    if (fetching) {
      wokeWhileFetching = true;
    } else {
      fetch();
    }
  }

  /**
   * How many jobs to hold beyond the idle runners: as many as the runners are expected to finish within
   * {@link #PREFETCH_HORIZON_NANOS}, judged by recent run times, up to jobs.prefetch. Trivial jobs get big claims
   * (few round trips per job); long jobs get none, so one process never sits on jobs another could run now.
   */
  private int prefetch() {
    if (averageRunNanos <= 0) {
      return Math.min(settings.prefetch(), settings.runners(pool)); // nothing measured yet: one more each
    }
    double expected = settings.runners(pool) * (double) PREFETCH_HORIZON_NANOS / averageRunNanos;
    return (int) Math.min(settings.prefetch(), Math.floor(expected));
  }

  private void fetch() {
    // While compute calls wait, claimed jobs would only wait too (compute goes first): claim for idle runners only.
    int want = idle.size() + (waiting.isEmpty() ? prefetch() : 0) - prefetched.size();
    if (fetching || stopping || !moreDue || kinds.isEmpty() || want <= 0) {
      return;
    }
    fetching = true;
    wokeWhileFetching = false;
    store.claim(settings.owner(), kinds, want, settings.leaseMs())
        .onComplete(claimed -> {
          fetching = false;
          if (claimed.succeeded()) {
            List<JobRequests.Claimed> got = claimed.result();
            got.forEach(job -> metrics.attempt(job.kind()));
            if (stopping) {
              got.forEach(job -> completer.add(Outcome.released(job.id(), job.attempt())));
              cancelledDuringClaim.clear();
              checkDrained();
              return;
            }
            for (JobRequests.Claimed job : got) {
              if (cancelledDuringClaim.contains(job.id())) {
                completer.add(Outcome.cancelled(job.id(), job.attempt(), "cancelled by request"));
              } else {
                prefetched.add(job);
              }
            }
            cancelledDuringClaim.clear();
            moreDue = got.size() == want || wokeWhileFetching;
          } else {
            // The database is down or slow: wait for the next poll or notification rather than spin.
            LOG.warn("could not claim {} jobs: {}", pool.label(), claimed.cause().getMessage());
            moreDue = false;
            cancelledDuringClaim.clear();
            checkDrained();
          }
          dispatch();
        });
  }

  private void dispatch() {
    while (!idle.isEmpty() && !stopping) {
      if (!waiting.isEmpty()) {
        startCompute(waiting.poll());
      } else if (!prefetched.isEmpty()) {
        startJob(prefetched.poll());
      } else {
        break;
      }
    }
    fetch();
  }

  private void startJob(JobRequests.Claimed job) {
    JobHandler handler = handlers.find(job.kind()).orElseThrow();
    CancelSignal signal = new CancelSignal();
    Run run = new Run(job.kind(), signal, job, null, TimeUnit.MILLISECONDS.toNanos(job.timeoutMs()));
    Run earlier = jobs.put(job.id(), run);
    if (earlier != null) {
      // This process's own earlier run of the job lost its lease (rescued) and is still going: it is stale now.
      earlier.signal.raise(CancelSignal.Why.LEASE_LOST, "the job's lease expired and it was claimed again");
    }
    run.timer = vertx.setTimer(job.timeoutMs(), t -> {
      signal.raise(CancelSignal.Why.TIMEOUT, "timed out after " + job.timeoutMs() + " ms");
      run.timer = vertx.setTimer(ABANDON_AFTER_MS, later -> abandon(run));
    });
    JobContext context = new JobContext(job.input(), OptionalLong.of(job.id()), job.attempt(), signal, eventLoop,
        handlersPool, settings.filesDir());
    send(run, new RunOrder(handler, context), result -> jobDone(run, result));
  }

  /**
   * A run that ignored its timeout for {@link #ABANDON_AFTER_MS} more: write the timeout as its outcome and stop
   * renewing its lease, so the job is retried (or fails) instead of staying 'running' for as long as the handler
   * hangs. The worker thread stays busy until the handler returns; the pool's busy gauge shows it.
   */
  private void abandon(Run run) {
    JobRequests.Claimed job = run.claimed;
    if (!jobs.remove(job.id(), run)) {
      return;
    }
    run.abandoned = true;
    LOG.warn("job {} ({}) ignored its timeout of {} ms; its outcome is written without it and a {} worker stays busy "
        + "until it returns", job.id(), job.kind(), job.timeoutMs(), pool.label());
    metrics.failure(job.kind(), "timeout");
    metrics.run("job", job.kind(), "abandoned", System.nanoTime() - run.started);
    completer.add(failure(job, run.signal.detail() + "; the handler did not stop"));
  }

  private Outcome failure(JobRequests.Claimed job, String error) {
    if (job.attempt() >= job.maxAttempts()) {
      return Outcome.failed(job.id(), job.attempt(), error);
    }
    long delayMs = settings.backoff().delayMs(job.attempt());
    // The retry is due after the delay; make sure some process looks then, not only at the next poll.
    vertx.setTimer(delayMs + 1, t -> wake());
    return Outcome.retry(job.id(), job.attempt(), error, delayMs);
  }

  private void jobDone(Run run, RunResult result) {
    JobRequests.Claimed job = run.claimed;
    if (run.abandoned) {
      return;
    }
    jobs.remove(job.id(), run);
    long nanos = System.nanoTime() - run.started;
    averageRunNanos = averageRunNanos <= 0 ? nanos : averageRunNanos + RUN_TIME_WEIGHT * (nanos - averageRunNanos);
    CancelSignal.Why why = run.signal.why();
    Outcome outcome;
    String label;
    if (why == CancelSignal.Why.LEASE_LOST) {
      metrics.run("job", job.kind(), "lease_lost", nanos);
      return; // another process owns the job now; this run's outcome would be fenced out anyway
    } else if (result.succeeded() && why != CancelSignal.Why.TIMEOUT) {
      outcome = Outcome.succeeded(job.id(), job.attempt(), result.result());
      label = "succeeded";
    } else if (why == CancelSignal.Why.STOPPING) {
      outcome = Outcome.released(job.id(), job.attempt());
      label = "released";
    } else if (why == CancelSignal.Why.CANCELLED) {
      outcome = Outcome.cancelled(job.id(), job.attempt(), "cancelled by request");
      label = "cancelled";
    } else {
      boolean timedOut = why == CancelSignal.Why.TIMEOUT;
      boolean permanent = !timedOut && result.failure() instanceof PermanentJobFailure;
      String error = timedOut ? run.signal.detail() : result.error();
      metrics.failure(job.kind(), timedOut ? "timeout" : permanent ? "permanent" : "error");
      outcome = permanent ? Outcome.failed(job.id(), job.attempt(), error) : failure(job, error);
      label = outcome.status().equals(JobStatus.FAILED) ? "failed" : "retried";
    }
    metrics.run("job", job.kind(), label, nanos);
    completer.add(outcome);
  }

  /** A DELETE /jobs/{id} reached this process: stop the job if it is here. */
  void cancelJob(long id) {
    Run run = jobs.get(id);
    if (run != null) {
      run.signal.raise(CancelSignal.Why.CANCELLED, "cancelled by request");
      return;
    }
    if (fetching) {
      cancelledDuringClaim.add(id); // it may be in the claim whose answer is on its way
    }
    prefetched.removeIf(job -> {
      if (job.id() == id) {
        completer.add(Outcome.cancelled(job.id(), job.attempt(), "cancelled by request"));
        return true;
      }
      return false;
    });
  }

  /** Every lease this lane holds: jobs running (even past their timeout, until abandoned) and claimed ahead. */
  List<JobRequests.Lease> held() {
    List<JobRequests.Lease> leases = new ArrayList<>(jobs.size() + prefetched.size());
    jobs.values().forEach(run -> leases.add(run.claimed.lease()));
    prefetched.forEach(job -> leases.add(job.lease()));
    return leases;
  }

  /** The heartbeat found these leases no longer ours (rescued after a long pause): drop them. */
  void leaseLost(Set<JobRequests.Lease> lost) {
    jobs.values().stream().filter(run -> lost.contains(run.claimed.lease())).forEach(run ->
        run.signal.raise(CancelSignal.Why.LEASE_LOST, "the job's lease expired and it was rescued elsewhere"));
    prefetched.removeIf(job -> lost.contains(job.lease()));
  }

  // ---- runners ----

  private void send(Run run, RunOrder order, java.util.function.Consumer<RunResult> done) {
    String runner = idle.poll();
    vertx.eventBus().<RunResult>request(runner, order, NO_TIMEOUT).onComplete(reply -> {
      vertx.cancelTimer(run.timer);
      idle.add(runner);
      done.accept(result(reply));
      checkDrained();
      dispatch();
    });
  }

  private static RunResult result(AsyncResult<Message<RunResult>> reply) {
    if (reply.succeeded()) {
      return reply.result().body();
    }
    // Only if the runner is gone (undeployed mid-run): report it as the run's failure.
    Throwable cause = reply.cause();
    if (cause instanceof ReplyException e && e.failureType() == ReplyFailure.NO_HANDLERS) {
      return new RunResult(null, new IllegalStateException("the worker stopped"));
    }
    return new RunResult(null, cause);
  }

  // ---- shutdown ----

  /** Drained: nothing runs, and no claim is on its way whose jobs would then need handing back. */
  private void checkDrained() {
    if (drained != null && jobs.isEmpty() && computes.isEmpty() && !fetching) {
      drained.tryComplete();
    }
  }

  /**
   * Stops taking work and hands back what never started; running work gets {@code drainMs} to finish, is then
   * asked to stop, and whatever still runs after a short grace is released for another process to redo.
   */
  Future<Void> stop(long drainMs) {
    stopping = true;
    prefetched.forEach(job -> completer.add(Outcome.released(job.id(), job.attempt())));
    prefetched.clear();
    waiting.forEach(work -> work.message().fail(503, "gather is stopping; send the call to another instance"));
    waiting.clear();
    drained = Promise.promise();
    checkDrained();
    long askTimer = vertx.setTimer(Math.max(1, drainMs), t -> {
      jobs.values().forEach(run -> run.signal.raise(CancelSignal.Why.STOPPING, "gather is stopping"));
      computes.values().forEach(run -> run.signal.raise(CancelSignal.Why.STOPPING, "gather is stopping"));
    });
    long giveUpTimer = vertx.setTimer(Math.max(1, drainMs) + STOP_GRACE_MS, t -> {
      jobs.values().forEach(run -> {
        run.abandoned = true;
        completer.add(Outcome.released(run.claimed.id(), run.claimed.attempt()));
      });
      jobs.clear();
      drained.tryComplete();
    });
    return drained.future().onComplete(done -> {
      vertx.cancelTimer(askTimer);
      vertx.cancelTimer(giveUpTimer);
    });
  }
}
