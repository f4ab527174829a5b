package dev.gather;

import dev.gather.config.GatherConfig;
import dev.gather.trace.Tracing;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** A gather started in this JVM on a free port against its own fresh database, and a client aimed at it. */
public final class RunningGather implements AutoCloseable {
  public final Vertx vertx;
  public final PrometheusMeterRegistry registry;
  public final Gather gather;
  public final WebClient client;
  public final int port;
  public final String databaseUrl;

  private RunningGather(Vertx vertx, PrometheusMeterRegistry registry, Gather gather, int port, String databaseUrl) {
    this.vertx = vertx;
    this.registry = registry;
    this.gather = gather;
    this.port = port;
    this.databaseUrl = databaseUrl;
    this.client = WebClient.create(vertx, new WebClientOptions()
        .setDefaultHost("127.0.0.1").setDefaultPort(port).setConnectTimeout(5000).setIdleTimeout(30));
  }

  public static RunningGather start() {
    return start(new JsonObject());
  }

  /** Starts with the test defaults, overridden by {@code overrides} (a config tree, like conf/config.json). */
  public static RunningGather start(JsonObject overrides) {
    return start(TestDatabase.fresh(), overrides);
  }

  /** Starts with tracing as {@code tracing} says (the Vert.x it makes is traced by it), on a fresh database. */
  public static RunningGather start(JsonObject overrides, Tracing tracing) {
    return start(TestDatabase.fresh(), overrides, tracing);
  }

  /** Starts against {@code databaseUrl}, e.g. a second gather sharing another one's database. */
  public static RunningGather startOn(String databaseUrl, JsonObject overrides) {
    return start(databaseUrl, overrides);
  }

  /** Starts on whatever database {@code overrides} names, e.g. the embedded one when db.url is empty. */
  public static RunningGather startWithoutTestDatabase(JsonObject overrides) {
    return start(null, overrides);
  }

  private static RunningGather start(String databaseUrl, JsonObject overrides) {
    return start(databaseUrl, overrides, Tracing.OFF);
  }

  private static RunningGather start(String databaseUrl, JsonObject overrides, Tracing tracing) {
    int port = freePort();
    JsonObject tree = new JsonObject()
        .put("http", new JsonObject().put("host", "127.0.0.1").put("port", port).put("instances", 2))
        .put("db", new JsonObject().put("url", databaseUrl == null ? "" : databaseUrl).put("poolSize", 4))
        .put("shutdown", new JsonObject().put("drainMs", 2000));
    tree.mergeIn(overrides, true);
    GatherConfig config = GatherConfig.from(tree);
    PrometheusMeterRegistry registry = Gather.newRegistry();
    Vertx vertx = Gather.newVertx(registry, tracing);
    try {
      Gather gather = Gather.start(vertx, config, registry, tracing).await(60, TimeUnit.SECONDS);
      RunningGather running = new RunningGather(vertx, registry, gather, config.http().port(), databaseUrl);
      running.awaitReady();
      return running;
    } catch (Exception e) {
      vertx.close();
      throw new IllegalStateException("gather did not start", e);
    }
  }

  /** Migrations run in the background after start; tests begin once readiness says they are applied. */
  private void awaitReady() throws Exception {
    try {
      Await.until("gather to become ready", Duration.ofSeconds(30),
          () -> client.get("/health/ready").send().await(5, TimeUnit.SECONDS).statusCode() == 200);
    } catch (AssertionError notReady) {
      throw new IllegalStateException(notReady.getMessage()); // so that the start closes what it opened
    }
  }

  public static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() throws Exception {
    client.close();
    gather.stop().await(30, TimeUnit.SECONDS);
    vertx.close().await(30, TimeUnit.SECONDS);
  }
}
