package dev.gather.jobs.run;

import dev.gather.jobs.handler.JobPool;
import dev.gather.jobs.queue.JobRequests;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The job meters: queue depth by status and kind (from the table, so every process reports the whole queue),
 * run durations by outcome, attempts, failures, rescues, and the worker pools' load.
 */
final class JobMetrics {
  private final MeterRegistry registry;
  private final Map<String, Timer> timers = new ConcurrentHashMap<>();
  private final Map<String, Counter> counters = new ConcurrentHashMap<>();
  private final MultiGauge depth;

  JobMetrics(MeterRegistry registry) {
    this.registry = registry;
    this.depth = MultiGauge.builder("gather.jobs")
        .description("Jobs in the table by status and kind, refreshed every few seconds")
        .register(registry);
  }

  /** The queue's depth; kinds {@code known} rejects are summed under kind "other". */
  void depth(List<JobRequests.DepthRow> rows, java.util.function.Predicate<String> known) {
    java.util.Map<Tags, Long> counts = new java.util.LinkedHashMap<>();
    for (JobRequests.DepthRow row : rows) {
      counts.merge(Tags.of("status", row.status(), "kind", known.test(row.kind()) ? row.kind() : "other"),
          row.count(), Long::sum);
    }
    depth.register(counts.entrySet().stream()
        .map(entry -> MultiGauge.Row.of(entry.getKey(), entry.getValue()))
        .toList(), true);
  }

  /** One finished run; {@code source} is job or compute, {@code outcome} what became of it. */
  void run(String source, String kind, String outcome, long nanos) {
    timers.computeIfAbsent(source + '|' + kind + '|' + outcome, key -> Timer.builder("gather.job")
            .description("Run time of jobs and compute calls on the worker pools, by outcome")
            .tags("source", source, "kind", kind, "outcome", outcome)
            .publishPercentileHistogram()
            .minimumExpectedValue(Duration.ofMillis(1))
            .maximumExpectedValue(Duration.ofMinutes(10))
            .register(registry))
        .record(Duration.ofNanos(nanos));
  }

  void attempt(String kind) {
    counter("gather.job.attempts", "Runs of durable jobs started (first runs and retries)", "kind", kind).increment();
  }

  /** {@code reason}: error, timeout or permanent. */
  void failure(String kind, String reason) {
    counter("gather.job.failures", "Runs of durable jobs that failed", "kind", kind, "reason", reason).increment();
  }

  void rescued(int requeued, int failed) {
    counter("gather.job.rescued", "Jobs whose lease expired, by what became of them", "result", "requeued")
        .increment(requeued);
    counter("gather.job.rescued", "Jobs whose lease expired, by what became of them", "result", "failed")
        .increment(failed);
  }

  void computeRejected(JobPool pool) {
    counter("gather.compute.rejected", "POST /compute calls refused because the pool and its queue were full",
        "pool", pool.label()).increment();
  }

  void lane(JobPool pool, Supplier<Number> busy, Supplier<Number> waiting, Supplier<Number> prefetched) {
    Gauge.builder("gather.job.workers.busy", busy).description("Worker threads running a job now")
        .tag("pool", pool.label()).register(registry);
    Gauge.builder("gather.compute.waiting", waiting).description("POST /compute calls waiting for a worker")
        .tag("pool", pool.label()).register(registry);
    Gauge.builder("gather.job.prefetched", prefetched).description("Durable jobs claimed and waiting for a worker")
        .tag("pool", pool.label()).register(registry);
  }

  private Counter counter(String name, String description, String... tags) {
    return counters.computeIfAbsent(name + '|' + String.join("|", tags),
        key -> Counter.builder(name).description(description).tags(tags).register(registry));
  }
}
