package dev.gather.jobs;

import dev.gather.jobs.handler.JobContext;
import dev.gather.jobs.handler.JobHandler;
import dev.gather.jobs.handler.JobPool;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Job kinds for the per-kind limit tests (listed in src/test/resources/META-INF/services). Each run counts itself
 * in while it sleeps {@code ms}, under its {@code token} and under {@code token/tenant}, and the most ever seen at
 * once is kept: statics, so the runs of two gathers in this JVM are counted together.
 */
public final class LimitProbes {
  private static final Map<String, AtomicInteger> RUNNING = new ConcurrentHashMap<>();
  private static final Map<String, AtomicInteger> MOST = new ConcurrentHashMap<>();

  private LimitProbes() {}

  /** The most runs of {@code key} (a token, or token/tenant) that overlapped. */
  static int most(String key) {
    return MOST.getOrDefault(key, new AtomicInteger()).get();
  }

  private abstract static class Probe implements JobHandler {
    @Override
    public JobPool pool() {
      return JobPool.BLOCKING;
    }

    @Override
    public JsonObject run(JobContext context) throws InterruptedException {
      String token = context.input().getString("token");
      String[] keys = {token, token + "/" + context.input().getString("tenant")};
      for (String key : keys) {
        int now = RUNNING.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
        MOST.computeIfAbsent(key, k -> new AtomicInteger()).accumulateAndGet(now, Math::max);
      }
      try {
        context.sleep(context.input().getLong("ms", 0L));
      } finally {
        for (String key : keys) {
          RUNNING.get(key).decrementAndGet();
        }
      }
      return new JsonObject();
    }
  }

  /** jobs.kinds: at most 2 running. */
  public static final class Limited extends Probe {
    @Override
    public String name() {
      return "test.limited";
    }
  }

  /** jobs.kinds: at most 1 running per input.tenant. */
  public static final class PerTenant extends Probe {
    @Override
    public String name() {
      return "test.limited.tenant";
    }
  }

  /** jobs.kinds: at most 3 starts per second. */
  public static final class Rated extends Probe {
    @Override
    public String name() {
      return "test.rated";
    }
  }

  /** No limit: paused and resumed by the tests. */
  public static final class Pausable extends Probe {
    @Override
    public String name() {
      return "test.pausable";
    }
  }

  /** jobs.kinds: paused by config. */
  public static final class PausedByConfig extends Probe {
    @Override
    public String name() {
      return "test.pausedbyconfig";
    }
  }
}
