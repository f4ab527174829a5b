package dev.gather.jobs.run;

import dev.gather.jobs.handler.JobPool;
import dev.gather.jobs.queue.NulCharacters;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;

/**
 * One worker thread's worth of job running. Deployed as a WORKER verticle on its pool's named worker pool, so the
 * handler below runs on that pool's threads and never on an event loop; one run at a time per instance, which is
 * how the lanes know exactly how many runs each pool has in flight.
 */
public final class JobRunnerVerticle extends VerticleBase {
  private final String address;
  private MessageConsumer<RunOrder> consumer;

  public JobRunnerVerticle(JobPool pool, int index) {
    this.address = address(pool, index);
  }

  static String address(JobPool pool, int index) {
    return "gather.runner." + pool.label() + "." + index;
  }

  @Override
  public Future<?> start() {
    consumer = vertx.eventBus().consumer(address, message -> message.reply(run(message.body())));
    return consumer.completion();
  }

  private static RunResult run(RunOrder order) {
    try {
      JsonObject result = order.handler().run(order.context());
      JsonObject storable = NulCharacters.replaced(result == null ? new JsonObject() : result);
      // Encoded here, on the worker: a result that is not JSON, or too large to store, fails its own run, not the
      // outcome batch it would be written in.
      ResultLimit.check(storable.encode(), order.maxResultBytes());
      return new RunResult(storable, null);
    } catch (Throwable e) {
      // Whatever the handler threw (even an Error) is the run's outcome; the runner itself goes on.
      return new RunResult(null, e);
    }
  }

  @Override
  public Future<?> stop() {
    return consumer == null ? Future.succeededFuture() : consumer.unregister();
  }
}
