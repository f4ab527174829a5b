package dev.gather.jobs.schedule;

import dev.gather.db.SqlFiles;

/**
 * The schedules' SQL, in {@code .sql} files next to this package (src/main/resources/dev/gather/jobs/schedule),
 * read once when {@link ScheduleStore} is first loaded (Gather.start does that before any verticle).
 */
final class ScheduleSql {
  private ScheduleSql() {}

  static String load(String name) {
    return SqlFiles.load(ScheduleSql.class, name);
  }
}
