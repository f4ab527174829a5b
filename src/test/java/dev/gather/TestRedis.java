package dev.gather;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Redis for tests: the shared one ({@code GATHER_TEST_REDIS_URL}, else 127.0.0.1:6379, which {@code .ci/run} makes
 * sure runs), or a private {@code redis-server} on a free port that a test may stop to see what gather does then.
 */
public final class TestRedis implements AutoCloseable {
  private final Process process;
  public final int port;

  private TestRedis(Process process, int port) {
    this.process = process;
    this.port = port;
  }

  public static String sharedUrl() {
    String url = System.getenv("GATHER_TEST_REDIS_URL");
    return url == null || url.isBlank() ? "redis://127.0.0.1:6379" : url;
  }

  /** A redis-server of the test's own, keeping nothing on disk; stopped by {@link #close}. */
  public static TestRedis startPrivate() throws Exception {
    int port = RunningGather.freePort();
    Process process = new ProcessBuilder("redis-server", "--port", String.valueOf(port), "--bind", "127.0.0.1",
        "--save", "", "--appendonly", "no")
        .redirectErrorStream(true).redirectOutput(new File("target/redis-" + port + ".log")).start();
    TestRedis redis = new TestRedis(process, port);
    Await.until("redis-server on port " + port + " to accept connections", Duration.ofSeconds(10), redis::accepts);
    return redis;
  }

  public String url() {
    return "redis://127.0.0.1:" + port;
  }

  private boolean accepts() {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
      return true;
    } catch (IOException refused) {
      return false;
    }
  }

  /** Stops the server and waits until its port refuses connections. */
  @Override
  public void close() throws Exception {
    process.destroy();
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    Await.until("redis-server on port " + port + " to stop", Duration.ofSeconds(10), () -> !accepts());
  }
}
