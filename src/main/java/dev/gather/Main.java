package dev.gather;

import ch.qos.logback.classic.LoggerContext;
import dev.gather.config.ConfigException;
import dev.gather.config.ConfigLoader;
import dev.gather.config.GatherConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import dev.gather.demo.DemoUpstreamVerticle;
import dev.gather.plan.ExecutionPlan;
import dev.gather.trace.Tracing;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * {@code java -jar gather.jar [--conf FILE]}: loads and checks the configuration, starts gather, and on SIGTERM
 * or Ctrl-C drains in-flight requests and exits 0. A configuration that cannot run exits 1 naming every mistake.
 */
public final class Main {
  private static final Logger LOG = LoggerFactory.getLogger(Main.class);
  static final int EXIT_BAD_CONFIG = 1;
  static final int EXIT_START_FAILED = 2;
  private static final String USAGE = "usage: java -jar gather.jar [--conf FILE]\n"
      + "       java -jar gather.jar check [--plan] [FILE]   validate a configuration without starting anything;\n"
      + "                                                  --plan also prints how each aggregate runs\n"
      + "       java -jar gather.jar demo [--host H] [--port N] [--instances N]   run only the demo upstream";

  private Main() {}

  public static void main(String[] args) throws InterruptedException {
    if (args.length > 0 && args[0].equals("check")) {
      boolean plan = false;
      Path file = null;
      for (int i = 1; i < args.length; i++) {
        if (args[i].equals("--plan")) {
          plan = true;
        } else if (file == null && !args[i].startsWith("--")) {
          file = Path.of(args[i]);
        } else {
          System.err.println("unknown argument: " + args[i]);
          System.err.println(USAGE);
          exit(EXIT_BAD_CONFIG);
          return;
        }
      }
      exit(check(file, plan));
      return;
    }
    if (args.length > 0 && args[0].equals("demo")) {
      demo(args);
      return;
    }
    long began = System.nanoTime();
    Path confFile;
    try {
      confFile = confFile(args);
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      System.err.println(USAGE);
      exit(EXIT_BAD_CONFIG);
      return;
    }

    PrometheusMeterRegistry registry = Gather.newRegistry();
    Tracing tracing;
    try {
      tracing = Tracing.fromEnvironment();
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      exit(EXIT_BAD_CONFIG);
      return;
    }
    Vertx vertx = Gather.newVertx(registry, tracing);
    Gather gather;
    try {
      GatherConfig config = await(ConfigLoader.load(vertx, confFile));
      gather = await(Gather.start(vertx, config, registry, tracing));
      LOG.info("gather ready on {}:{} with {} HTTP instances in {} ms", config.http().host(), config.http().port(),
          config.http().instances(), (System.nanoTime() - began) / 1_000_000);
    } catch (ConfigException e) {
      System.err.println(e.getMessage());
      closeQuietly(vertx);
      exit(EXIT_BAD_CONFIG);
      return;
    } catch (ExecutionException e) {
      // An environment problem (binaries, ports, files) is told in one line; anything else keeps its trace.
      if (e.getCause() instanceof java.io.IOException) {
        LOG.error("gather could not start: {}", e.getCause().getMessage());
      } else {
        LOG.error("gather could not start: {}", e.getCause().getMessage(), e.getCause());
      }
      closeQuietly(vertx);
      exit(EXIT_START_FAILED);
      return;
    }

    Gather running = gather;
    Runnable shutdown = () -> {
      LOG.info("shutting down: draining in-flight requests for up to {} ms", running.config().shutdown().drainMs());
      try {
        await(running.stop());
        // Closed from this thread, not from a continuation on an event loop that the close itself terminates.
        await(vertx.close());
        LOG.info("stopped cleanly");
        exit(0);
      } catch (ExecutionException | InterruptedException e) {
        LOG.error("shutdown failed", e);
        exit(EXIT_START_FAILED);
      }
    };
    // Handling the signals ourselves (instead of a shutdown hook) is what lets a SIGTERM end in exit code 0.
    for (String signal : new String[] {"TERM", "INT"}) {
      Signal.handle(new Signal(signal), received -> new Thread(shutdown, "gather-shutdown").start());
    }
  }

  /** {@code check [FILE]}: the same loading and validation as a start, then a verdict instead of a service. */
  static int check(Path file) throws InterruptedException {
    return check(file, false);
  }

  /** With {@code plan}, a good config's verdict is followed by each aggregate's {@link ExecutionPlan}. */
  static int check(Path file, boolean plan) throws InterruptedException {
    Vertx vertx = Vertx.vertx();
    try {
      GatherConfig config = await(ConfigLoader.load(vertx, file));
      System.out.println((file == null ? ConfigLoader.DEFAULT_FILE : file) + ": OK ("
          + config.upstreams().size() + " upstreams, " + config.aggregates().size() + " aggregates, "
          + config.queries().size() + " queries)");
      if (plan) {
        System.out.print(ExecutionPlan.renderAll(config.aggregates(), config.upstreams(), config.db().queryTimeoutMs()));
      }
      return 0;
    } catch (ConfigException e) {
      System.out.println(e.getMessage());
      return EXIT_BAD_CONFIG;
    } catch (ExecutionException e) {
      System.out.println("cannot check: " + e.getCause().getMessage());
      return EXIT_BAD_CONFIG;
    } finally {
      closeQuietly(vertx);
    }
  }

  /**
   * {@code demo}: the demo upstream alone, in its own process, so that benchmarks measure gather against an
   * upstream that does not share its event loops.
   */
  private static void demo(String[] args) throws InterruptedException {
    String host = "127.0.0.1";
    int port = 8090;
    int instances = Runtime.getRuntime().availableProcessors();
    try {
      for (int i = 1; i < args.length; i++) {
        String value = i + 1 < args.length ? args[i + 1] : "";
        switch (args[i]) {
          case "--host" -> host = value;
          case "--port" -> port = Integer.parseInt(value);
          case "--instances" -> instances = Integer.parseInt(value);
          default -> throw new IllegalArgumentException("unknown argument: " + args[i]);
        }
        i++;
      }
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      System.err.println(USAGE);
      exit(EXIT_BAD_CONFIG);
      return;
    }
    String demoHost = host;
    int demoPort = port;
    Vertx vertx = Vertx.vertx();
    try {
      await(vertx.deployVerticle(() -> new DemoUpstreamVerticle(demoHost, demoPort),
          new DeploymentOptions().setInstances(instances)));
      LOG.info("demo upstream listening on {}:{} with {} instances", demoHost, demoPort, instances);
    } catch (ExecutionException e) {
      LOG.error("demo upstream could not start: {}", e.getCause().getMessage());
      closeQuietly(vertx);
      exit(EXIT_START_FAILED);
    }
  }

  private static Path confFile(String[] args) {
    Path file = null;
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--conf") && i + 1 < args.length) {
        file = Path.of(args[++i]);
      } else if (args[i].startsWith("--conf=")) {
        file = Path.of(args[i].substring("--conf=".length()));
      } else {
        throw new IllegalArgumentException("unknown argument: " + args[i]);
      }
    }
    return file;
  }

  private static <T> T await(Future<T> future) throws ExecutionException, InterruptedException {
    try {
      return future.toCompletionStage().toCompletableFuture().get();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof ConfigException config) {
        throw config;
      }
      throw e;
    }
  }

  private static void closeQuietly(Vertx vertx) {
    try {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      LOG.warn("Vert.x did not close cleanly", e);
    }
  }

  private static void exit(int code) {
    if (LoggerFactory.getILoggerFactory() instanceof LoggerContext logback) {
      logback.stop(); // flushes the asynchronous access-log appender
    }
    System.exit(code);
  }
}
