package dev.gather.db.embedded;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The server process: how it is launched, how it is stopped, and when it counts as gone. */
final class Postmaster {
  private static final Logger LOG = LoggerFactory.getLogger(Postmaster.class);
  private static final Duration FAST_SHUTDOWN_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration IMMEDIATE_SHUTDOWN_TIMEOUT = Duration.ofSeconds(10);

  private Postmaster() {}

  static Process launch(PostgresBinaries binaries, Launcher launcher, Path dataDir, int port, Path logFile)
      throws IOException {
    List<String> command = launcher.command(binaries.postgres(),
        "-D", dataDir.toString(),
        "-p", Integer.toString(port),
        "-c", "listen_addresses=" + EmbeddedPostgres.HOST,
        // TCP on loopback only: the built-in socket directory is /tmp, where every local user could connect and
        // the socket's lock file can collide with another server's.
        "-c", "unix_socket_directories=",
        "-c", "logging_collector=off");
    return Commands.builder(command)
        .redirectErrorStream(true)
        // The JVM opens the log, so the server never needs write access outside its data directory.
        .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
        .start();
  }

  /** SIGINT is PostgreSQL's fast shutdown; SIGQUIT (immediate) only if that hangs. */
  static void stop(ProcessHandle handle) throws IOException {
    if (!isRunning(handle)) {
      return;
    }
    signal(handle.pid(), "INT");
    if (awaitExit(handle, FAST_SHUTDOWN_TIMEOUT)) {
      return;
    }
    LOG.warn("PostgreSQL (pid {}) ignored fast shutdown for {} s, shutting down immediately",
        handle.pid(), FAST_SHUTDOWN_TIMEOUT.toSeconds());
    signal(handle.pid(), "QUIT");
    if (!awaitExit(handle, IMMEDIATE_SHUTDOWN_TIMEOUT)) {
      throw new IOException("PostgreSQL (pid " + handle.pid() + ") did not stop");
    }
  }

  static boolean awaitExit(ProcessHandle handle, Duration timeout) {
    Deadline deadline = Deadline.after(timeout);
    while (isRunning(handle)) {
      if (deadline.passed()) {
        return false;
      }
      Deadline.sleep(50);
    }
    return true;
  }

  /**
   * Like {@link ProcessHandle#isAlive()}, but a zombie counts as gone. A postmaster orphaned by a dead JVM is
   * reparented to PID 1, and not every PID 1 (container init shims included) reaps its children promptly.
   */
  static boolean isRunning(ProcessHandle handle) {
    if (!handle.isAlive()) {
      return false;
    }
    try {
      String stat = Files.readString(Paths.get("/proc", Long.toString(handle.pid()), "stat"));
      char state = stat.charAt(stat.lastIndexOf(')') + 2);
      return state != 'Z' && state != 'X';
    } catch (IOException | RuntimeException e) {
      return handle.isAlive();
    }
  }

  private static void signal(long pid, String signal) throws IOException {
    // Java can only send SIGTERM/SIGKILL, and SIGTERM is "smart" shutdown, which waits for every pooled
    // connection to go away. The shell's built-in kill is present even on slim images.
    try {
      Commands.run(List.of("sh", "-c", "kill -s " + signal + " " + pid), Duration.ofSeconds(10));
    } catch (IOException e) {
      // Failing because it exited in the meantime is success.
      if (ProcessHandle.of(pid).map(Postmaster::isRunning).orElse(false)) {
        throw e;
      }
    }
  }
}
