package dev.gather.jobs;

import dev.gather.jobs.handler.JobContext;
import dev.gather.jobs.handler.JobHandler;
import dev.gather.jobs.handler.JobPool;
import io.vertx.core.Context;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Job kinds that exist only on the test class path (listed in src/test/resources/META-INF/services), found by
 * gather exactly as a user's own kinds would be. They record what happened in statics, which every gather
 * started in the test JVM shares, so a test can count runs across two gathers.
 */
public final class TestHandlers {
  /** Runs per token, across every gather in this JVM. */
  public static final Map<String, AtomicInteger> RUNS = new ConcurrentHashMap<>();
  /** When each attempt of a token started (System.nanoTime). */
  public static final Map<String, List<Long>> ATTEMPT_STARTS = new ConcurrentHashMap<>();

  private TestHandlers() {}

  static JsonObject where() {
    return new JsonObject()
        .put("thread", Thread.currentThread().getName())
        .put("eventLoop", Context.isOnEventLoopThread())
        .put("worker", Context.isOnWorkerThread());
  }

  /** Reports the thread it ran on. */
  public static final class WhereCpu implements JobHandler {
    @Override
    public String name() {
      return "test.where";
    }

    @Override
    public JobPool pool() {
      return JobPool.CPU;
    }

    @Override
    public JsonObject run(JobContext context) {
      return where();
    }
  }

  public static final class WhereBlocking implements JobHandler {
    @Override
    public String name() {
      return "test.where.blocking";
    }

    @Override
    public JobPool pool() {
      return JobPool.BLOCKING;
    }

    @Override
    public JsonObject run(JobContext context) {
      return where();
    }
  }

  /** Counts its runs per {@code token}; {@code ms} makes each run take a while. */
  public static final class Count implements JobHandler {
    @Override
    public String name() {
      return "test.count";
    }

    @Override
    public JobPool pool() {
      return JobPool.BLOCKING;
    }

    @Override
    public void validate(JsonObject input) {
      if (!(input.getValue("token") instanceof String)) {
        throw new IllegalArgumentException("token is required");
      }
    }

    @Override
    public JsonObject run(JobContext context) throws InterruptedException {
      int runs = RUNS.computeIfAbsent(context.input().getString("token"), t -> new AtomicInteger()).incrementAndGet();
      context.sleep(context.input().getLong("ms", 0L));
      return new JsonObject().put("runs", runs);
    }
  }

  /** Fails its first {@code fail} attempts, recording when each started. */
  public static final class Flaky implements JobHandler {
    @Override
    public String name() {
      return "test.flaky";
    }

    @Override
    public JobPool pool() {
      return JobPool.BLOCKING;
    }

    @Override
    public JsonObject run(JobContext context) {
      String token = context.input().getString("token");
      ATTEMPT_STARTS.computeIfAbsent(token, t -> new CopyOnWriteArrayList<>()).add(System.nanoTime());
      if (context.attempt() <= context.input().getInteger("fail", 0)) {
        // nul: a message PostgreSQL could not store as it is
        String nul = context.input().getBoolean("nul", false) ? " with a \0 inside" : "";
        throw new IllegalStateException("flaky failure on attempt " + context.attempt() + nul);
      }
      return new JsonObject().put("attempt", context.attempt());
    }
  }

  /** Ignores its cancel signal: sleeps {@code ms} with Thread.sleep, as a handler blocked in a library would. */
  public static final class Stubborn implements JobHandler {
    @Override
    public String name() {
      return "test.stubborn";
    }

    @Override
    public JobPool pool() {
      return JobPool.BLOCKING;
    }

    @Override
    public JsonObject run(JobContext context) throws InterruptedException {
      Thread.sleep(context.input().getLong("ms", 0L));
      return new JsonObject();
    }
  }

  static List<Long> attemptStarts(String token) {
    return new ArrayList<>(ATTEMPT_STARTS.getOrDefault(token, List.of()));
  }
}
