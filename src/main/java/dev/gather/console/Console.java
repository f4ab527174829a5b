package dev.gather.console;

import dev.gather.config.ConsoleConfig;
import dev.gather.config.GatherConfig;
import dev.gather.upstream.UpstreamGuards;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;

/**
 * What the console keeps for the whole process, whichever HTTP instance serves a page: the ring of recent
 * requests, the meters' history (sampled every few seconds) and the Redis probe. The ring also counts the pages
 * following the console live: bounded by {@code console.maxViewers}, and what switches its recording on and off.
 */
public final class Console {
  private final GatherConfig config;
  private final RequestRing ring;
  private final MeterHistory history;
  private final UpstreamGuards guards;
  private final RedisProbe redis;
  private final Vertx vertx;
  private final MeterRegistry registry;
  private long sampler;

  private Console(Vertx vertx, GatherConfig config, MeterRegistry registry, UpstreamGuards guards) {
    this.vertx = vertx;
    this.registry = registry;
    this.config = config;
    this.guards = guards;
    this.ring = new RequestRing(config.console().recentRequests());
    this.history = new MeterHistory(registry, config.aggregates().keySet(), config.upstreams().keySet());
    this.redis = new RedisProbe(vertx, config.cache().redisUrl(), config.rateLimit().redisUrl());
  }

  /** The console of this process, sampling its meters from now on; null when {@code console.enabled} is false. */
  public static Console start(Vertx vertx, GatherConfig config, MeterRegistry registry, UpstreamGuards guards) {
    if (!config.console().enabled()) {
      return null;
    }
    Console console = new Console(vertx, config, registry, guards);
    console.history.sample(System.currentTimeMillis());
    console.sampler = vertx.setPeriodic(MeterHistory.STEP_MS,
        id -> console.history.sample(System.currentTimeMillis()));
    return console;
  }

  public void stop() {
    vertx.cancelTimer(sampler);
    redis.close();
  }

  public RequestRing ring() {
    return ring;
  }

  ConsoleConfig settings() {
    return config.console();
  }

  GatherConfig config() {
    return config;
  }

  MeterRegistry registry() {
    return registry;
  }

  MeterHistory history() {
    return history;
  }

  UpstreamGuards guards() {
    return guards;
  }

  RedisProbe redis() {
    return redis;
  }

  /** A page starts following the console live; false when {@code console.maxViewers} already do. */
  boolean admit() {
    return ring.tryWatch(config.console().maxViewers());
  }

  void leave() {
    ring.unwatch();
  }
}
