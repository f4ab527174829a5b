package dev.gather.jobs.schedule;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * The schedules' SQL, in {@code .sql} files next to this package (src/main/resources/dev/gather/jobs/schedule),
 * read once when {@link ScheduleStore} is first loaded (Gather.start does that before any verticle).
 */
final class ScheduleSql {
  private ScheduleSql() {}

  static String load(String name) {
    String path = name + ".sql";
    try (InputStream in = ScheduleSql.class.getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalStateException("missing resource "
            + ScheduleSql.class.getPackageName().replace('.', '/') + "/" + path);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
    } catch (IOException e) {
      throw new UncheckedIOException("could not read " + path, e);
    }
  }
}
