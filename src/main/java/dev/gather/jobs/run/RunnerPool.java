package dev.gather.jobs.run;

import dev.gather.jobs.handler.JobPool;
import io.vertx.core.AsyncResult;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.function.Consumer;

/**
 * A lane's runners ({@link JobRunnerVerticle}s, one run at a time each): which are idle, and handing one a run
 * over the event bus. Single event loop only.
 */
final class RunnerPool {
  /** A run takes as long as it takes; its timeout is enforced by the signal, not by the message. */
  private static final DeliveryOptions NO_TIMEOUT = new DeliveryOptions().setSendTimeout(Long.MAX_VALUE / 2);

  private final Vertx vertx;
  private final Deque<String> idle = new ArrayDeque<>();
  private final Runnable afterEachRun;

  /** {@code afterEachRun}: called once a runner is idle again and the run's own callback is done. */
  RunnerPool(Vertx vertx, JobPool pool, int runners, Runnable afterEachRun) {
    this.vertx = vertx;
    this.afterEachRun = afterEachRun;
    for (int i = 0; i < runners; i++) {
      idle.add(JobRunnerVerticle.address(pool, i));
    }
  }

  boolean hasIdle() {
    return !idle.isEmpty();
  }

  int idle() {
    return idle.size();
  }

  /** Hands the order to an idle runner (the caller checked there is one); {@code done} gets what the run returned. */
  void send(Run run, RunOrder order, Consumer<RunResult> done) {
    String runner = idle.poll();
    vertx.eventBus().<RunResult>request(runner, order, NO_TIMEOUT).onComplete(reply -> {
      vertx.cancelTimer(run.timer);
      idle.add(runner);
      done.accept(result(reply));
      afterEachRun.run();
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
}
