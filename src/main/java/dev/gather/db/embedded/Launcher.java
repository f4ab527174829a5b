package dev.gather.db.embedded;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides as whom PostgreSQL's programs run, which matters only when this process is root, because PostgreSQL
 * refuses to run as root. As root, the server runs inside a fresh user namespace, where it sees itself as an
 * unprivileged user while its files stay owned by root, which needs no ownership changes. Where namespaces are not
 * allowed (e.g. Docker's default seccomp profile), it falls back to an unprivileged account via setpriv and hands
 * the data directory to it.
 */
final class Launcher {
  private static final Logger LOG = LoggerFactory.getLogger(Launcher.class);
  private static final Duration ID_TIMEOUT = Duration.ofSeconds(10);

  // Detecting costs a few process starts; the answer cannot change while the JVM runs.
  private static Launcher detected;

  private final List<String> prefix;
  // The owner PostgreSQL needs on its files, or null when it runs as the current user and so owns what it creates.
  private final Integer uid;
  private final Integer gid;
  private final String description;

  private Launcher(List<String> prefix, Integer uid, Integer gid, String description) {
    this.prefix = prefix;
    this.uid = uid;
    this.gid = gid;
    this.description = description;
  }

  /** @param allowUserNamespace false only so tests can exercise setpriv where user namespaces work */
  static synchronized Launcher forThisProcess(boolean allowUserNamespace) throws IOException {
    if (!allowUserNamespace) {
      return detect(false);
    }
    if (detected == null) {
      detected = detect(true);
    }
    return detected;
  }

  private static Launcher detect(boolean allowUserNamespace) throws IOException {
    if (!"0".equals(Commands.run(List.of("id", "-u"), ID_TIMEOUT).trim())) {
      return new Launcher(List.of(), null, null, "the current user");
    }
    if (!System.getProperty("os.name").toLowerCase(Locale.ROOT).contains("linux")) {
      throw new IOException("PostgreSQL cannot run as root; start the service as an unprivileged user");
    }
    if (allowUserNamespace && userNamespacesWork()) {
      return new Launcher(List.of("unshare", "--user"), 0, 0, "root inside a user namespace");
    }
    String account = accountExists("postgres") ? "postgres" : "nobody";
    int uid = Integer.parseInt(Commands.run(List.of("id", "-u", account), ID_TIMEOUT).trim());
    int gid = Integer.parseInt(Commands.run(List.of("id", "-g", account), ID_TIMEOUT).trim());
    return new Launcher(List.of("setpriv", "--reuid=" + uid, "--regid=" + gid, "--clear-groups", "--"),
        uid, gid, "user " + account + " (uid " + uid + ")");
  }

  private static boolean userNamespacesWork() {
    try {
      // Inside a namespace without a uid mapping, root shows up as the overflow uid (65534), never as 0.
      String uid = Commands.run(List.of("unshare", "--user", "id", "-u"), ID_TIMEOUT).trim();
      return !uid.isEmpty() && !"0".equals(uid);
    } catch (IOException e) {
      LOG.debug("user namespaces unavailable", e);
      return false;
    }
  }

  private static boolean accountExists(String name) {
    try {
      Commands.run(List.of("id", "-u", name), ID_TIMEOUT);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  List<String> command(Path program, String... args) {
    List<String> command = new ArrayList<>(prefix);
    command.add(program.toString());
    command.addAll(List.of(args));
    return command;
  }

  String description() {
    return description;
  }

  /**
   * Checks the directories above {@code path}; fails early with a fix instead of letting initdb report a bare
   * "Permission denied".
   */
  void checkReachable(Path path) throws IOException {
    if (uid == null) {
      return;
    }
    List<Path> blocked = new ArrayList<>();
    for (Path p = path.getParent(); p != null; p = p.getParent()) {
      if (!Files.exists(p)) {
        continue;
      }
      int mode = (Integer) Files.getAttribute(p, "unix:mode");
      int owner = (Integer) Files.getAttribute(p, "unix:uid");
      int group = (Integer) Files.getAttribute(p, "unix:gid");
      int bits = owner == uid ? (mode >> 6) : group == gid ? (mode >> 3) : mode;
      if ((bits & 1) == 0) {
        blocked.add(0, p);
      }
    }
    if (!blocked.isEmpty()) {
      throw new IOException("this process is root, so PostgreSQL runs as " + description
          + ", which cannot reach " + path + " because it may not enter " + blocked
          + ". Use a path whose parent directories are world-searchable (e.g. under /var/lib or /srv),"
          + " run `chmod o+x` on those directories, or run the service as a non-root user.");
    }
  }

  /** Hands a data directory over, e.g. one created by an earlier run that used the other way of dropping root. */
  void claim(Path dir) throws IOException {
    if (uid == null || ownedAsExpected(dir)) {
      return;
    }
    LOG.info("giving {} to {}", dir, description);
    List<Path> paths;
    try (Stream<Path> walk = Files.walk(dir)) {
      paths = walk.sorted(Comparator.reverseOrder()).toList();
    }
    // Reverse order puts the directory itself last, so an interrupted pass is redone next time.
    for (Path p : paths) {
      chown(p);
    }
  }

  void chown(Path p) throws IOException {
    if (uid == null) {
      return;
    }
    Files.setAttribute(p, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
    Files.setAttribute(p, "unix:gid", gid, LinkOption.NOFOLLOW_LINKS);
  }

  private boolean ownedAsExpected(Path p) throws IOException {
    return uid.equals(Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS))
        && gid.equals(Files.getAttribute(p, "unix:gid", LinkOption.NOFOLLOW_LINKS));
  }
}
