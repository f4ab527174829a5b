package dev.gather.db.embedded;

import java.io.IOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/** The server's output, in {@code log/postgres.log} inside the data directory so that it survives restarts. */
final class ServerLog {
  private static final long ROTATE_BYTES = 10L * 1024 * 1024;
  private static final int MAX_READ_BYTES = 64 * 1024;

  private final Path file;

  private ServerLog(Path file) {
    this.file = file;
  }

  /**
   * Rotates only here, before the server starts, keeping one previous file: a running server writes to the file it
   * was given, so renaming it underneath would not start a new one.
   */
  static ServerLog open(Path dataDir, Launcher launcher) throws IOException {
    Path dir = dataDir.resolve("log");
    Files.createDirectories(dir);
    launcher.chown(dir);
    Path file = dir.resolve("postgres.log");
    if (Files.exists(file) && Files.size(file) > ROTATE_BYTES) {
      Files.move(file, dir.resolve("postgres.log.1"), StandardCopyOption.REPLACE_EXISTING);
    }
    return new ServerLog(file);
  }

  Path file() {
    return file;
  }

  long size() throws IOException {
    return Files.exists(file) ? Files.size(file) : 0;
  }

  /** What was written from {@code offset} on, at most its last 64 KiB: enough to tell why a start failed. */
  String since(long offset) throws IOException {
    if (!Files.exists(file)) {
      return "";
    }
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      channel.position(Math.max(offset, channel.size() - MAX_READ_BYTES));
      return new String(Channels.newInputStream(channel).readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
