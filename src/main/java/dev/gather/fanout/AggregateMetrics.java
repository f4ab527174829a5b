package dev.gather.fanout;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * One aggregate's requests: their duration by mode, status and completeness ({@code gather_aggregate_seconds},
 * whose {@code _count} is the number of requests, so {@code complete="false"} over all is the share of partial
 * answers). The timers are found by index, never looked up by their tags on a request.
 */
final class AggregateMetrics {
  /** Every status an aggregate answers with (see {@link Envelope#verdict}), and 304 for a copy still current. */
  private static final int[] STATUSES = {200, 304, 400, 502, 503, 504};

  private final MeterRegistry registry;
  private final String aggregate;
  /** By mode (concurrent, sequential) × status × complete; made on first use, so unused ones stay out of scrapes. */
  private final AtomicReferenceArray<Timer> timers = new AtomicReferenceArray<>(2 * STATUSES.length * 2);

  AggregateMetrics(MeterRegistry registry, String aggregate) {
    this.registry = registry;
    this.aggregate = aggregate;
  }

  void request(boolean sequential, int status, boolean complete, long nanos) {
    int statusIndex = indexOf(status);
    if (statusIndex < 0) { // not an aggregate's status; counted all the same, the slow way
      timer(sequential, status, complete).record(nanos, TimeUnit.NANOSECONDS);
      return;
    }
    int index = ((sequential ? 1 : 0) * STATUSES.length + statusIndex) * 2 + (complete ? 1 : 0);
    Timer timer = timers.get(index);
    if (timer == null) {
      // Two event loops registering at once get the same timer from the registry.
      timer = timer(sequential, status, complete);
      timers.set(index, timer);
    }
    timer.record(nanos, TimeUnit.NANOSECONDS);
  }

  private static int indexOf(int status) {
    for (int i = 0; i < STATUSES.length; i++) {
      if (STATUSES[i] == status) {
        return i;
      }
    }
    return -1;
  }

  private Timer timer(boolean sequential, int status, boolean complete) {
    return Timer.builder("gather.aggregate")
        .description("Aggregate requests, by mode, status and whether every source succeeded")
        .tags("aggregate", aggregate, "mode", sequential ? "sequential" : "concurrent", "status",
            String.valueOf(status), "complete", String.valueOf(complete))
        .publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofMillis(1))
        .maximumExpectedValue(Duration.ofSeconds(30))
        .register(registry);
  }
}
