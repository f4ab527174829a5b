package dev.gather.fanout;

import dev.gather.config.UpstreamConfig;
import io.vertx.core.Vertx;
import io.vertx.core.http.PoolOptions;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.util.HashMap;
import java.util.Map;

/**
 * One keep-alive {@link WebClient} per upstream for one HTTP verticle instance, with the upstream's own
 * connection limit and a bounded wait queue instead of Vert.x's defaults (5 connections, unbounded queue).
 * Limits are per instance: with N instances an upstream sees at most N × maxConnections connections.
 */
public final class UpstreamClients {
  private final Map<String, WebClient> clients = new HashMap<>();
  private final Map<String, UpstreamConfig> configs;

  public UpstreamClients(Vertx vertx, Map<String, UpstreamConfig> upstreams) {
    this.configs = upstreams;
    upstreams.forEach((name, upstream) -> clients.put(name, WebClient.create(vertx,
        new WebClientOptions()
            .setDefaultHost(upstream.url().getHost())
            .setDefaultPort(upstream.port())
            .setSsl(upstream.tls())
            .setKeepAlive(true)
            .setConnectTimeout(upstream.connectTimeoutMs())
            .setUserAgentEnabled(false)
            .setFollowRedirects(false),
        new PoolOptions()
            .setHttp1MaxSize(upstream.maxConnections())
            .setMaxWaitQueueSize(upstream.maxQueued()))));
  }

  WebClient client(String upstream) {
    return clients.get(upstream);
  }

  UpstreamConfig config(String upstream) {
    return configs.get(upstream);
  }

  public void close() {
    clients.values().forEach(WebClient::close);
  }
}
