package dev.gather;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** gather as a separate JVM, started the way operators start it, for what only a process can show. */
public final class GatherProcess implements AutoCloseable {
  public final Process process;
  public final Path output;
  public final int port;

  private GatherProcess(Process process, Path output, int port) {
    this.process = process;
    this.output = output;
    this.port = port;
  }

  public static GatherProcess start(Map<String, String> env, String... args) throws IOException {
    int port = RunningGather.freePort();
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"),
        "dev.gather.Main"));
    command.addAll(List.of(args));
    Path output = Files.createTempFile("gather-process", ".log");
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile());
    builder.environment().put("GATHER_HTTP_PORT", String.valueOf(port));
    builder.environment().put("GATHER_HTTP_HOST", "127.0.0.1");
    builder.environment().put("GATHER_HTTP_INSTANCES", "2");
    builder.environment().put("GATHER_DEMO_ENABLED", "false"); // conf/config.json turns it on, on a fixed port
    builder.environment().putAll(env);
    return new GatherProcess(builder.start(), output, port);
  }

  /** Polls readiness until 200; returns the milliseconds it took from now. */
  public long awaitReady(Duration timeout) throws Exception {
    long began = System.nanoTime();
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(1)).build();
    try {
      Await.until("gather to become ready", timeout, () -> {
        if (!process.isAlive()) {
          throw new IllegalStateException("gather exited with " + process.exitValue() + ":\n" + output());
        }
        try {
          return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health/ready"))
                  .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString())
              .statusCode() == 200;
        } catch (IOException notYet) {
          return false; // not listening yet
        }
      });
    } catch (AssertionError notReady) {
      throw new IllegalStateException(notReady.getMessage() + ":\n" + output());
    }
    return (System.nanoTime() - began) / 1_000_000;
  }

  public int awaitExit(Duration timeout) throws InterruptedException {
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new IllegalStateException("gather did not exit within " + timeout);
    }
    return process.exitValue();
  }

  public String output() {
    try {
      return Files.readString(output, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(output unreadable: " + e + ")";
    }
  }

  @Override
  public void close() {
    process.destroyForcibly();
  }
}
