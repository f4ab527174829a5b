package dev.gather.jobs.queue;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * The queue's SQL, kept in {@code .sql} files next to this class (src/main/resources/dev/gather/jobs/queue), where
 * it reads as SQL and can be pasted into psql. Each file is read once, when {@link JobStore} is first loaded.
 */
final class JobSql {
  private JobSql() {}

  /** The statement in {@code <name>.sql}, comments and all (PostgreSQL ignores them). */
  static String load(String name) {
    String path = name + ".sql";
    try (InputStream in = JobSql.class.getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + JobSql.class.getPackageName().replace('.', '/') + "/" + path);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
    } catch (IOException e) {
      throw new UncheckedIOException("could not read " + path, e);
    }
  }
}
