package dev.gather.db.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Clears what an earlier run that never reached close() (kill -9, power loss, a halted JVM) left on a data
 * directory, so that PostgreSQL will start on it again. Only called while holding the directory's lock, so
 * nothing found here can belong to a live EmbeddedPostgres.
 */
final class Leftovers {
  private static final Logger LOG = LoggerFactory.getLogger(Leftovers.class);

  /** Whether the process named in postmaster.pid is a server on this data directory. */
  private enum PidOwner { THIS_DIRECTORY, UNRELATED, UNKNOWN }

  private Leftovers() {}

  /**
   * A postmaster.pid left behind is either a live server orphaned by a JVM that died without close(), or stale.
   * A live one is stopped. For a stale one, backends that outlived their postmaster are killed and the rest is left
   * to PostgreSQL, which checks its shared memory itself, unless the PID now belongs to an unrelated process that
   * would make PostgreSQL believe the directory is still in use.
   */
  static void reclaim(Path dataDir) throws IOException {
    Path pidFile = dataDir.resolve("postmaster.pid");
    if (!Files.exists(pidFile)) {
      return;
    }
    long pid;
    try (Stream<String> lines = Files.lines(pidFile, StandardCharsets.US_ASCII)) {
      pid = Long.parseLong(lines.findFirst().orElse("").trim());
    } catch (NumberFormatException | UncheckedIOException e) {
      return;
    }
    Optional<ProcessHandle> handle = ProcessHandle.of(pid).filter(Postmaster::isRunning);
    if (handle.isEmpty()) {
      killOrphanedBackends(dataDir);
      return;
    }
    switch (owner(handle.get(), dataDir)) {
      case THIS_DIRECTORY -> {
        LOG.warn("stopping PostgreSQL (pid {}) left running on {} by an earlier process", pid, dataDir);
        Postmaster.stop(handle.get());
      }
      case UNRELATED -> {
        LOG.warn("removing stale {}: its pid {} now belongs to an unrelated process", pidFile, pid);
        killOrphanedBackends(dataDir);
        Files.deleteIfExists(pidFile);
      }
      case UNKNOWN -> {
        // PostgreSQL's own checks decide.
      }
    }
  }

  /**
   * Backends of a postmaster killed with SIGKILL run on until they next wait for something, which for a long query
   * can take minutes, and PostgreSQL will not start while they hold its shared memory. Nothing they do can be
   * committed any more, so they are killed. Found by their working directory, which is the data directory.
   */
  private static void killOrphanedBackends(Path dataDir) throws IOException {
    Path proc = Paths.get("/proc");
    if (!Files.isDirectory(proc)) {
      return;
    }
    Path real = dataDir.toRealPath();
    List<ProcessHandle> orphans;
    try (Stream<Path> entries = Files.list(proc)) {
      orphans = entries
          .map(p -> p.getFileName().toString())
          .filter(name -> !name.isEmpty() && name.chars().allMatch(Character::isDigit))
          .filter(name -> {
            try {
              return Files.readSymbolicLink(proc.resolve(name).resolve("cwd")).equals(real);
            } catch (IOException | SecurityException e) {
              return false;
            }
          })
          .map(name -> ProcessHandle.of(Long.parseLong(name)))
          .flatMap(Optional::stream)
          .filter(Postmaster::isRunning)
          .filter(h -> h.info().command().map(c -> c.endsWith("/postgres")).orElse(false))
          .toList();
    }
    if (orphans.isEmpty()) {
      return;
    }
    LOG.warn("killing {} backend(s) of a dead postmaster still running on {}: pids {}", orphans.size(), dataDir,
        orphans.stream().map(h -> Long.toString(h.pid())).toList());
    for (ProcessHandle orphan : orphans) {
      orphan.destroyForcibly();
    }
    for (ProcessHandle orphan : orphans) {
      Postmaster.awaitExit(orphan, Duration.ofSeconds(10));
    }
  }

  private static PidOwner owner(ProcessHandle handle, Path dataDir) {
    // A postmaster runs with its data directory as working directory. Reading another user's cwd needs
    // CAP_SYS_PTRACE, which containers often drop, hence the command line as fallback.
    try {
      Path cwd = Files.readSymbolicLink(Paths.get("/proc", Long.toString(handle.pid()), "cwd"));
      return cwd.equals(dataDir.toRealPath()) ? PidOwner.THIS_DIRECTORY : PidOwner.UNRELATED;
    } catch (IOException | UnsupportedOperationException | SecurityException e) {
      LOG.debug("cannot read the working directory of pid {}", handle.pid(), e);
    }
    String[] args = handle.info().arguments().orElse(new String[0]);
    for (int i = 0; i + 1 < args.length; i++) {
      if ("-D".equals(args[i]) && Paths.get(args[i + 1]).toAbsolutePath().normalize().equals(dataDir)) {
        return PidOwner.THIS_DIRECTORY;
      }
    }
    return PidOwner.UNKNOWN;
  }
}
