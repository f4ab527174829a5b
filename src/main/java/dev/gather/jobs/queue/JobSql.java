package dev.gather.jobs.queue;

import dev.gather.db.SqlFiles;

/**
 * The queue's SQL, kept in {@code .sql} files next to this class (src/main/resources/dev/gather/jobs/queue). Each
 * file is read once, when {@link JobStore} is first loaded.
 */
final class JobSql {
  private JobSql() {}

  static String load(String name) {
    return SqlFiles.load(JobSql.class, name);
  }
}
