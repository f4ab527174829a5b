package dev.gather.jobs.run;

import dev.gather.jobs.handler.CancelSignal;
import dev.gather.jobs.handler.JobContext;
import dev.gather.jobs.handler.JobHandler;
import dev.gather.jobs.handler.JobHandlers;
import dev.gather.jobs.handler.JobPool;
import dev.gather.jobs.handler.PermanentJobFailure;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.sqlclient.Pool;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * A lane's {@code POST /compute} calls: started at once on an idle runner, else queued (up to jobs.computeQueue,
 * the wait counting against the call's timeout), else turned away with a Retry-After. A client waits on each, so
 * the lane gives waiting calls the next free runner before any durable job. Single event loop only.
 */
final class ComputeQueue {
  private static final String STOPPING = "gather is stopping; send the call to another instance";

  private final JobPool pool;
  private final Vertx vertx;
  private final Context eventLoop;
  private final Pool handlersPool;
  private final JobHandlers handlers;
  private final JobSettings settings;
  private final JobMetrics metrics;
  private final RunnerPool runners;
  /** For a call turned away: when a runner of the lane is expected free, judged by all its runs. */
  private final LongSupplier untilRunnerFreeMs;
  private final Deque<Waiting> waiting = new ArrayDeque<>();
  private final Map<String, ComputeRun> running = new HashMap<>();
  /** Kept apart from the jobs' average: a client waits on each call, so they are usually short. */
  private double averageNanos;
  private boolean stopping;

  /** A compute call waiting for a runner, with the message to answer. */
  private record Waiting(ComputeRequests.Call call, Message<ComputeRequests.Call> message, long arrived) {}

  private static final class ComputeRun extends Run {
    final Message<ComputeRequests.Call> message;

    ComputeRun(String kind, long timeoutNanos, Message<ComputeRequests.Call> message) {
      super(kind, timeoutNanos);
      this.message = message;
    }
  }

  ComputeQueue(JobPool pool, Vertx vertx, Context eventLoop, Pool handlersPool, JobHandlers handlers,
      JobSettings settings, JobMetrics metrics, RunnerPool runners, LongSupplier untilRunnerFreeMs) {
    this.pool = pool;
    this.vertx = vertx;
    this.eventLoop = eventLoop;
    this.handlersPool = handlersPool;
    this.handlers = handlers;
    this.settings = settings;
    this.metrics = metrics;
    this.runners = runners;
    this.untilRunnerFreeMs = untilRunnerFreeMs;
  }

  void offer(Message<ComputeRequests.Call> message) {
    ComputeRequests.Call call = message.body();
    if (stopping) {
      message.fail(503, STOPPING);
    } else if (runners.hasIdle()) {
      start(new Waiting(call, message, System.nanoTime()));
    } else if (waiting.size() < settings.computeQueue()) {
      Waiting work = new Waiting(call, message, System.nanoTime());
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
          untilRunnerFreeMs.getAsLong()));
    }
  }

  void cancel(String id) {
    waiting.removeIf(work -> work.call().id().equals(id));
    ComputeRun run = running.get(id);
    if (run != null) {
      run.signal.raise(CancelSignal.Why.CANCELLED, "the client went away");
    }
  }

  boolean hasWaiting() {
    return !waiting.isEmpty();
  }

  int waitingCount() {
    return waiting.size();
  }

  int runningCount() {
    return running.size();
  }

  /** Starts the call that waited longest; the caller checked that a runner is idle. */
  void startNext() {
    start(waiting.poll());
  }

  private void start(Waiting work) {
    ComputeRequests.Call call = work.call();
    JobHandler handler = handlers.find(call.kind()).orElseThrow();
    long remainingMs = Math.max(1, call.timeoutMs() - (System.nanoTime() - work.arrived()) / 1_000_000);
    ComputeRun run = new ComputeRun(call.kind(), TimeUnit.MILLISECONDS.toNanos(remainingMs), work.message());
    running.put(call.id(), run);
    run.timer = vertx.setTimer(remainingMs, t -> {
      if (run.signal.raise(CancelSignal.Why.TIMEOUT, "timed out after " + call.timeoutMs() + " ms")) {
        // Answer now; the runner stays busy until the handler notices, which the pool's count shows.
        work.message().fail(504, "the " + call.kind() + " call did not finish within " + call.timeoutMs() + " ms");
      }
    });
    JobContext context = new JobContext(call.input(), OptionalLong.empty(), 1, run.signal, eventLoop, handlersPool,
        settings.filesDir());
    runners.send(run, new RunOrder(handler, context, RunOrder.UNBOUNDED), result -> done(call.id(), run, result));
  }

  private void done(String id, ComputeRun run, RunResult result) {
    running.remove(id);
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
      run.message.fail(503, STOPPING);
      return;
    }
    averageNanos = Run.averaged(averageNanos, nanos);
    if (result.succeeded()) {
      metrics.run("compute", run.kind, "succeeded", nanos);
      run.message.reply(new ComputeRequests.Computed(result.result(), nanos / 1_000_000));
    } else {
      metrics.run("compute", run.kind, "failed", nanos);
      boolean badInput = result.failure() instanceof PermanentJobFailure || result.failure() instanceof IllegalArgumentException;
      run.message.fail(badInput ? 422 : 500, result.error());
    }
  }

  /** Adds the calls running now, for {@link RunnerWait}. */
  void inFlight(List<RunnerWait.InFlight> into) {
    running.values().forEach(run -> into.add(run.inFlight(averageNanos)));
  }

  /** No call is running. */
  boolean idle() {
    return running.isEmpty();
  }

  /** Takes no more calls and answers those waiting 503, so their clients can go to another instance. */
  void stop() {
    stopping = true;
    waiting.forEach(work -> work.message().fail(503, STOPPING));
    waiting.clear();
  }

  /** Asks the calls still running to stop. */
  void askToStop() {
    running.values().forEach(run -> run.signal.raise(CancelSignal.Why.STOPPING, "gather is stopping"));
  }
}
