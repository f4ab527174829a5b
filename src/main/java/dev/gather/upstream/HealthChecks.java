package dev.gather.upstream;

import dev.gather.config.UpstreamConfig;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The active health check of one upstream's hosts: every {@code healthIntervalMs}, a GET of {@code healthPath} on
 * each host; a host that twice in a row does not answer 2xx within {@code healthTimeoutMs} is left out of the picks
 * until a check finds it up again. One per upstream per process, on its own small client (one connection per
 * host), with the upstream's TLS and protocol; at most one check per host at a time, so a hanging host cannot
 * pile them up.
 */
final class HealthChecks {
  private static final Logger LOG = LoggerFactory.getLogger(HealthChecks.class);
  private static final int DOWN_AFTER = 2;

  private final Vertx vertx;
  private final UpstreamConfig config;
  private final HostPicker picker;
  private final String path;
  private final Set<HostPicker.Host> checking = new HashSet<>();
  /** Failed checks in a row, by host; a host that has left the set (DNS) is forgotten at the next round. */
  private final Map<HostPicker.Host, Integer> failedInARow = new HashMap<>();
  private HttpClient client;

  HealthChecks(Vertx vertx, UpstreamConfig config, HostPicker picker) {
    this.vertx = vertx;
    this.config = config;
    this.picker = picker;
    this.path = config.hosts().healthPath().orElseThrow();
  }

  /** Checks every host now, then every healthIntervalMs, until Vert.x closes. */
  void start() {
    client = vertx.createHttpClient(Upstream.clientOptions(config).setKeepAlive(true),
        new PoolOptions().setHttp1MaxSize(1).setHttp2MaxSize(1).setMaxWaitQueueSize(1));
    vertx.runOnContext(v -> {
      checkAll();
      vertx.setPeriodic(config.hosts().healthIntervalMs(), id -> checkAll());
    });
  }

  private void checkAll() {
    List<HostPicker.Host> hosts = picker.hosts();
    failedInARow.keySet().retainAll(hosts);
    for (HostPicker.Host host : hosts) {
      if (checking.add(host)) {
        check(host).onComplete(done -> {
          checking.remove(host);
          boolean passed = done.succeeded() && done.result() >= 200 && done.result() <= 299;
          int failed = passed ? 0 : failedInARow.getOrDefault(host, 0) + 1;
          failedInARow.put(host, failed);
          // Two failures in a row, not one: a single lost check (a cold client's first connection) is noise.
          boolean up = failed < DOWN_AFTER;
          if (up == (picker.state(host) == HostPicker.State.DOWN)) {
            LOG.warn("upstream {} host {} is {} by its health check ({})", config.name(), host.label,
                up ? "up" : "down", done.succeeded() ? "status " + done.result() : done.cause().getMessage());
          }
          picker.checked(host, up);
        });
      }
    }
  }

  /** The status of one check; fails if none came within healthTimeoutMs (the request is then reset). */
  private Future<Integer> check(HostPicker.Host host) {
    int timeoutMs = config.hosts().healthTimeoutMs();
    Promise<Integer> result = Promise.promise();
    HttpClientRequest[] sent = new HttpClientRequest[1];
    long timer = vertx.setTimer(timeoutMs, t -> {
      if (result.tryFail("no answer within healthTimeoutMs (" + timeoutMs + " ms)") && sent[0] != null) {
        sent[0].reset();
      }
    });
    RequestOptions options = Upstream.aim(new RequestOptions().setMethod(HttpMethod.GET).setURI(path)
        .setConnectTimeout(timeoutMs), host, config);
    client.request(options)
        .compose(request -> {
          sent[0] = request;
          // The body is read (and dropped) so that the connection can serve the next check; a health body is
          // small. Read on send()'s own future: a step further down the chain may run after the answer has
          // ended, and Vert.x 5.0.7 then fails end() (and never completes body(); vert.x#6038, fixed in 5.0.11).
          return request.send().compose(response -> response.end().map(v -> response.statusCode()));
        })
        .onComplete(done -> {
          if (done.succeeded()) {
            result.tryComplete(done.result());
          } else {
            result.tryFail(done.cause());
          }
        });
    return result.future().onComplete(done -> vertx.cancelTimer(timer));
  }
}
