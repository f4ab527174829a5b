package dev.gather.upstream;

import dev.gather.config.UpstreamConfig;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * What the whole process shares about one upstream, whichever HTTP instance calls it: the limit on calls in
 * flight and waiting, and the meters. One per upstream per process.
 */
public final class UpstreamGuard {
  final CallLimiter limiter;
  final UpstreamMetrics metrics;

  UpstreamGuard(UpstreamConfig config, MeterRegistry registry) {
    this.limiter = new CallLimiter(config.name(), config.maxConcurrent(), config.maxQueued());
    this.metrics = new UpstreamMetrics(config.name(), registry, limiter);
  }
}
