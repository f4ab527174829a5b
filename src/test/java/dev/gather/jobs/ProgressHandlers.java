package dev.gather.jobs;

import dev.gather.jobs.handler.JobContext;
import dev.gather.jobs.handler.JobHandler;
import dev.gather.jobs.handler.JobPool;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Job kinds for snooze and progress (listed in src/test/resources/META-INF/services). Progress jobs wait at gates the
 * test opens, so a test decides when a job moves on (after it saw what it looks for) instead of sleeping.
 */
public final class ProgressHandlers {
  /** Runs per token, across every gather in this JVM. */
  public static final Map<String, AtomicInteger> RUNS = new ConcurrentHashMap<>();
  private static final Map<String, CountDownLatch> GATES = new ConcurrentHashMap<>();

  private ProgressHandlers() {}

  /** Lets the job of {@code token} past its step {@code step} (0 first). */
  public static void open(String token, int step) {
    gate(token, step).countDown();
  }

  private static CountDownLatch gate(String token, int step) {
    return GATES.computeIfAbsent(token + "/" + step, k -> new CountDownLatch(1));
  }

  /** For each percent of {@code steps}: reports it ("step i"), then waits at gate i. Then succeeds. */
  public static final class Stepped implements JobHandler {
    @Override
    public String name() {
      return "test.progress";
    }

    @Override
    public JobPool pool() {
      return JobPool.BLOCKING;
    }

    @Override
    public JsonObject run(JobContext context) throws InterruptedException {
      String token = context.input().getString("token");
      JsonArray steps = context.input().getJsonArray("steps");
      for (int i = 0; i < steps.size(); i++) {
        context.progress(steps.getInteger(i), "step " + i);
        CountDownLatch gate = gate(token, i);
        while (!gate.await(50, TimeUnit.MILLISECONDS)) {
          context.throwIfCancelled();
        }
      }
      return new JsonObject().put("steps", steps.size());
    }
  }

  /** Snoozes {@code ms} on its first {@code times} runs (all of them without {@code times}), then succeeds. */
  public static final class Snoozing implements JobHandler {
    @Override
    public String name() {
      return "test.snooze";
    }

    @Override
    public JobPool pool() {
      return JobPool.BLOCKING;
    }

    @Override
    public JsonObject run(JobContext context) {
      int run = RUNS.computeIfAbsent(context.input().getString("token"), t -> new AtomicInteger()).incrementAndGet();
      if (run <= context.input().getInteger("times", Integer.MAX_VALUE)) {
        context.snooze(context.input().getLong("ms"));
      }
      return new JsonObject().put("run", run).put("attempt", context.attempt());
    }
  }
}
