package dev.gather.console;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.CountAtBucket;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * Requests per aggregate and calls per upstream over the last minutes, for the overview's figures and sparklines,
 * kept in memory: every {@value #STEP_MS} ms it reads the meters gather keeps anyway ({@code gather.aggregate},
 * {@code gather.upstream.call}) and keeps the differences. So the console adds nothing to a request: the meters
 * are counted whether or not anyone looks. Upstream latency percentiles come from the same timers' histogram
 * buckets, over the last minute.
 */
final class MeterHistory {
  static final int STEP_MS = 5000;
  /** 15 minutes of points. */
  static final int POINTS = 180;
  /** The last minute, in points, for rates and percentiles. */
  private static final int MINUTE = 60_000 / STEP_MS;

  private final MeterRegistry registry;
  private final Map<String, Series> aggregates = new LinkedHashMap<>();
  private final Map<String, Series> upstreams = new LinkedHashMap<>();

  MeterHistory(MeterRegistry registry, Collection<String> aggregateNames, Collection<String> upstreamNames) {
    this.registry = registry;
    aggregateNames.forEach(name -> aggregates.put(name, new Series()));
    upstreamNames.forEach(name -> upstreams.put(name, new Series()));
  }

  /** Reads the meters once; called by the console's timer. */
  synchronized void sample(long nowEpochMs) {
    Map<String, long[]> aggregateCounts = new LinkedHashMap<>();
    for (Timer timer : registry.find("gather.aggregate").timers()) {
      long[] counts = aggregateCounts.computeIfAbsent(timer.getId().getTag("aggregate"), name -> new long[2]);
      counts[0] += timer.count();
      if (serverError(timer.getId().getTag("status"))) {
        counts[1] += timer.count();
      }
    }
    aggregates.forEach((name, series) -> series.add(nowEpochMs, aggregateCounts.get(name), null));

    Map<String, long[]> callCounts = new LinkedHashMap<>();
    Map<String, TreeMap<Double, Double>> buckets = new LinkedHashMap<>();
    for (Timer timer : registry.find("gather.upstream.call").timers()) {
      String upstream = timer.getId().getTag("upstream");
      long[] counts = callCounts.computeIfAbsent(upstream, name -> new long[2]);
      counts[0] += timer.count();
      if (!"ok".equals(timer.getId().getTag("outcome"))) {
        counts[1] += timer.count();
      }
      TreeMap<Double, Double> merged = buckets.computeIfAbsent(upstream, name -> new TreeMap<>());
      cumulative(timer.takeSnapshot().histogramCounts()).forEach((ms, count) -> merged.merge(ms, count, Double::sum));
    }
    upstreams.forEach((name, series) -> series.add(nowEpochMs, callCounts.get(name), buckets.get(name)));
  }

  private static boolean serverError(String status) {
    return status != null && status.length() == 3 && status.charAt(0) == '5';
  }

  /** Bucket upper bounds in ms with the count of values up to each, whether or not the registry cumulates them. */
  private static TreeMap<Double, Double> cumulative(CountAtBucket[] counts) {
    TreeMap<Double, Double> cumulative = new TreeMap<>();
    boolean rising = true;
    for (int i = 1; i < counts.length; i++) {
      rising &= counts[i].count() >= counts[i - 1].count();
    }
    double sum = 0;
    for (CountAtBucket bucket : counts) {
      sum = rising ? bucket.count() : sum + bucket.count();
      cumulative.put(bucket.bucket(TimeUnit.MILLISECONDS), sum);
    }
    return cumulative;
  }

  synchronized JsonObject aggregates() {
    JsonObject all = new JsonObject();
    aggregates.forEach((name, series) -> all.put(name, series.toJson(false)));
    return all;
  }

  synchronized JsonObject upstreams() {
    JsonObject all = new JsonObject();
    upstreams.forEach((name, series) -> all.put(name, series.toJson(true)));
    return all;
  }

  /** One meter's points (time, count, errors in that step) and its histogram a minute back and now. */
  private static final class Series {
    private final Deque<long[]> points = new ArrayDeque<>(POINTS);
    private final Deque<TreeMap<Double, Double>> histograms = new ArrayDeque<>(MINUTE + 1);
    private long lastCount = -1;
    private long lastErrors;

    void add(long at, long[] counts, TreeMap<Double, Double> histogram) {
      long count = counts == null ? 0 : counts[0];
      long errors = counts == null ? 0 : counts[1];
      if (lastCount >= 0) {
        points.addLast(new long[] {at, Math.max(0, count - lastCount), Math.max(0, errors - lastErrors)});
        if (points.size() > POINTS) {
          points.removeFirst();
        }
      }
      lastCount = count;
      lastErrors = errors;
      histograms.addLast(histogram == null ? new TreeMap<>() : histogram);
      if (histograms.size() > MINUTE + 1) {
        histograms.removeFirst();
      }
    }

    JsonObject toJson(boolean percentiles) {
      JsonArray series = new JsonArray();
      long minuteCount = 0;
      long minuteErrors = 0;
      int i = 0;
      int skip = points.size() - MINUTE;
      for (long[] point : points) {
        series.add(new JsonArray().add(point[0]).add(point[1]).add(point[2]));
        if (i++ >= skip) {
          minuteCount += point[1];
          minuteErrors += point[2];
        }
      }
      long seconds = Math.max(1, Math.min(points.size(), MINUTE) * (long) STEP_MS / 1000);
      JsonObject json = new JsonObject()
          .put("stepMs", STEP_MS)
          .put("points", series)
          .put("perSecond", Math.round(minuteCount * 100.0 / seconds) / 100.0)
          .put("errorShare", minuteCount == 0 ? 0.0 : Math.round(minuteErrors * 1000.0 / minuteCount) / 1000.0);
      if (percentiles && histograms.size() > 1) {
        TreeMap<Double, Double> newest = histograms.peekLast();
        TreeMap<Double, Double> oldest = histograms.peekFirst();
        json.put("p50Ms", percentile(newest, oldest, 0.50)).put("p95Ms", percentile(newest, oldest, 0.95))
            .put("p99Ms", percentile(newest, oldest, 0.99));
      }
      return json;
    }

    /** The bucket bound under which {@code q} of the last minute's calls finished; null without calls. */
    private static Double percentile(TreeMap<Double, Double> newest, TreeMap<Double, Double> oldest, double q) {
      if (newest.isEmpty()) {
        return null;
      }
      double total = newest.lastEntry().getValue() - oldest.getOrDefault(newest.lastKey(), 0.0);
      if (total <= 0) {
        return null;
      }
      for (Map.Entry<Double, Double> bucket : newest.entrySet()) {
        double upTo = bucket.getValue() - oldest.getOrDefault(bucket.getKey(), 0.0);
        if (upTo >= q * total) {
          return Math.round(bucket.getKey() * 10) / 10.0;
        }
      }
      return newest.lastKey();
    }
  }
}
