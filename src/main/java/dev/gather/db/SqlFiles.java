package dev.gather.db;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * SQL kept in {@code .sql} files next to the code that runs it (under src/main/resources, in the same package),
 * where it reads as SQL and can be pasted into psql. Read once, when the class that holds the statements loads.
 */
public final class SqlFiles {
  private SqlFiles() {}

  /** The statement in {@code <name>.sql} of {@code anchor}'s package, comments and all (PostgreSQL ignores them). */
  public static String load(Class<?> anchor, String name) {
    String path = name + ".sql";
    try (InputStream in = anchor.getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + anchor.getPackageName().replace('.', '/') + "/" + path);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
    } catch (IOException e) {
      throw new UncheckedIOException("could not read " + path, e);
    }
  }
}
