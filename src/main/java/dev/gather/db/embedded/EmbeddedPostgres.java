package dev.gather.db.embedded;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A PostgreSQL server run from the zonky binaries that ship inside the application's class path.
 *
 * <p>The data directory is a normal, persistent cluster: the first start runs initdb, later starts reuse it.
 * Everything here blocks, so call it from a worker thread, never from an event loop.
 */
public final class EmbeddedPostgres implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedPostgres.class);

  static final String HOST = "127.0.0.1";
  static final String SUPERUSER = "postgres";
  static final String DATABASE = "postgres";
  private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(30);
  private static final int FREE_PORT_ATTEMPTS = 5;

  private final Path dataDir;
  private final ServerLog log;
  private final int port;
  private final Process postmaster;
  private final FileLock lock;
  private final Thread shutdownHook = new Thread(this::close, "embedded-postgres-shutdown");
  private final AtomicBoolean closed = new AtomicBoolean();

  private record Started(Process postmaster, int port) {}

  private EmbeddedPostgres(Path dataDir, ServerLog log, Started started, FileLock lock) {
    this.dataDir = dataDir;
    this.log = log;
    this.port = started.port();
    this.postmaster = started.postmaster();
    this.lock = lock;
    // A JVM stopped by SIGTERM without anyone calling close() would otherwise leave the server running with the
    // data directory busy.
    Runtime.getRuntime().addShutdownHook(shutdownHook);
  }

  /**
   * Starts a server on {@code dataDir}, creating the cluster if the directory is missing or empty.
   *
   * @param port the TCP port on 127.0.0.1, or 0 for a free one
   */
  public static EmbeddedPostgres start(Path dataDir, int port) throws IOException {
    return start(dataDir, port, true);
  }

  // The flag exists so tests can exercise the setpriv path on machines where user namespaces work.
  static EmbeddedPostgres start(Path dataDir, int port, boolean allowUserNamespace) throws IOException {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port out of range: " + port);
    }
    Path dir = dataDir.toAbsolutePath().normalize();
    if (dir.getParent() == null || dir.getFileName() == null) {
      throw new IllegalArgumentException("data directory cannot be a file system root: " + dir);
    }
    Launcher launcher = Launcher.forThisProcess(allowUserNamespace);
    PostgresBinaries binaries = PostgresBinaries.installed();
    Files.createDirectories(dir.getParent());
    FileLock lock = lock(dir);
    Started started = null;
    try {
      launcher.checkReachable(binaries.postgres());
      launcher.checkReachable(dir);
      Files.createDirectories(dir);
      launcher.claim(dir);
      if (Files.exists(dir.resolve("PG_VERSION"))) {
        checkMajorVersion(dir, binaries);
      } else {
        initdb(dir, binaries, launcher);
      }
      ServerLog log = ServerLog.open(dir, launcher);
      Leftovers.reclaim(dir);
      started = launchUntilReady(dir, port, binaries, launcher, log);
      EmbeddedPostgres server = new EmbeddedPostgres(dir, log, started, lock);
      LOG.info("PostgreSQL ready on {}:{} (data {}, log {}, running as {})",
          HOST, started.port(), dir, log.file(), launcher.description());
      return server;
    } catch (IOException | RuntimeException e) {
      if (started != null) {
        stopAfterFailure(started.postmaster(), e);
      }
      release(lock);
      throw e;
    }
  }

  public int port() {
    return port;
  }

  public String url() {
    return "postgresql://" + SUPERUSER + "@" + HOST + ":" + port + "/" + DATABASE;
  }

  /** Fast shutdown: open sessions are cut off, committed data is flushed. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    if (Thread.currentThread() != shutdownHook) {
      try {
        Runtime.getRuntime().removeShutdownHook(shutdownHook);
      } catch (IllegalStateException alreadyShuttingDown) {
        // The hook is running or about to; it will find closed == true.
      }
    }
    try {
      Postmaster.stop(postmaster.toHandle());
      LOG.info("PostgreSQL on port {} stopped (data {})", port, dataDir);
    } catch (IOException e) {
      LOG.error("stopping PostgreSQL on port {} failed; see {}", port, log.file(), e);
    } finally {
      release(lock);
    }
  }

  @Override
  public String toString() {
    return "EmbeddedPostgres[" + url() + ", " + dataDir + "]";
  }

  /**
   * Keeps a second process off the directory. Without it, that process would take our running server for one a
   * killed run left behind and stop it. A sibling file, because initdb wants the data directory empty.
   */
  private static FileLock lock(Path dir) throws IOException {
    Path lockPath = dir.resolveSibling(dir.getFileName() + ".lock");
    FileChannel channel = FileChannel.open(lockPath, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    FileLock lock;
    try {
      lock = channel.tryLock();
    } catch (OverlappingFileLockException heldElsewhereInThisJvm) {
      lock = null;
    }
    if (lock == null) {
      channel.close();
      throw new IOException("data directory " + dir + " is in use by another embedded PostgreSQL ("
          + lockPath + " is locked)");
    }
    return lock;
  }

  private static void release(FileLock lock) {
    try {
      // Closing the channel releases the lock.
      lock.channel().close();
    } catch (IOException e) {
      LOG.warn("could not release {}", lock, e);
    }
  }

  private static void initdb(Path dir, PostgresBinaries binaries, Launcher launcher) throws IOException {
    try (Stream<Path> entries = Files.list(dir)) {
      if (entries.findAny().isPresent()) {
        throw new IOException(dir + " is not empty but holds no PostgreSQL cluster (no PG_VERSION);"
            + " empty it or choose another data directory");
      }
    }
    LOG.info("creating PostgreSQL cluster in {}", dir);
    String output = Commands.run(launcher.command(binaries.initdb(),
        "-D", dir.toString(),
        "-U", SUPERUSER,
        "-A", "trust",
        "-E", "UTF8",
        // C collation: independent of the locales installed on the host, so the cluster behaves the same on every
        // machine and survives OS upgrades.
        "--no-locale"), Duration.ofMinutes(2));
    LOG.debug("initdb output:\n{}", output);
  }

  /** A cluster only opens with the major version that created it; say so plainly instead of a startup failure. */
  private static void checkMajorVersion(Path dir, PostgresBinaries binaries) throws IOException {
    String clusterMajor = Files.readString(dir.resolve("PG_VERSION"), StandardCharsets.US_ASCII).trim();
    String version = binaries.version();
    String binaryMajor = version.replaceAll("^.*?(\\d+)\\..*$", "$1");
    if (!clusterMajor.equals(binaryMajor)) {
      throw new IOException(dir + " holds a PostgreSQL " + clusterMajor + " cluster but the bundled server is "
          + version + "; dump it with the old version and restore it, or use a new data directory");
    }
  }

  /** Launches the server, relaunching it after the failures that go away by themselves. */
  private static Started launchUntilReady(Path dir, int requestedPort, PostgresBinaries binaries, Launcher launcher,
      ServerLog log) throws IOException {
    Deadline deadline = Deadline.after(STARTUP_TIMEOUT);
    for (int attempt = 1; ; attempt++) {
      int port = requestedPort == 0 ? freePort() : requestedPort;
      long logOffset = log.size();
      Process candidate = Postmaster.launch(binaries, launcher, dir, port, log.file());
      try {
        Readiness.Outcome outcome = Readiness.await(candidate, dir, port, deadline);
        if (outcome == Readiness.Outcome.READY) {
          return new Started(candidate, port);
        }
        boolean exited = outcome == Readiness.Outcome.EXITED;
        String output = log.since(logOffset);
        if (exited && requestedPort == 0 && attempt < FREE_PORT_ATTEMPTS
            && (output.contains("could not bind") || output.contains("could not create any TCP/IP sockets"))) {
          // Another process took the free port between probing and binding.
          LOG.debug("port {} was taken meanwhile, retrying", port);
        } else if (exited && !deadline.passed()
            && (output.contains("is still in use") || output.contains("already exists"))) {
          // Backends of a killed postmaster outlive it for a moment and keep its shared memory attached;
          // PostgreSQL refuses to start until they are gone.
          Deadline.sleep(250);
        } else {
          // Stopped before reading the log, so a server that timed out has also written why it stopped.
          Postmaster.stop(candidate.toHandle());
          throw new IOException("PostgreSQL on " + HOST + ":" + port
              + (exited
                 ? " exited during startup with code " + candidate.exitValue()
                 : " was not ready within " + STARTUP_TIMEOUT.toSeconds() + " s")
              + "; tail of " + log.file() + ":\n" + Commands.lastLines(log.since(logOffset), 40));
        }
      } catch (IOException | RuntimeException e) {
        stopAfterFailure(candidate, e);
        throw e;
      }
    }
  }

  private static void stopAfterFailure(Process postmaster, Exception failure) {
    try {
      Postmaster.stop(postmaster.toHandle());
    } catch (IOException | RuntimeException e) {
      failure.addSuppressed(e);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
      return socket.getLocalPort();
    }
  }
}
