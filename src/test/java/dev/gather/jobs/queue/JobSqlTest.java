package dev.gather.jobs.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The queue's SQL files agree with the Java that reads their rows and listens on their channels. */
class JobSqlTest {
  private static final Pattern NOTIFY = Pattern.compile("pg_notify\\('([^']*)'");

  /** The SQL without comments, on one line, single-spaced. */
  private static String statement(String sql) {
    return sql.replaceAll("(?m)--[^\\n]*$", " ").replaceAll("\\s+", " ").strip();
  }

  private static List<String> channels(String sql) {
    Matcher m = NOTIFY.matcher(statement(sql));
    return m.results().map(r -> r.group(1)).toList();
  }

  @Test
  void everyStatementReadAsAJobReturnsTheColumnsJobFromReads() {
    for (String sql : List.of(JobStore.INSERT, JobStore.SELECT_BY_KEY, JobStore.SELECT_BY_UNIQUE_KEY, JobStore.SELECT_BY_ID, JobStore.SELECT_PAGE,
        JobStore.SELECT_PAGE_BY_STATUS, JobStore.SELECT_PAGE_BY_KIND, JobStore.SELECT_PAGE_BY_STATUS_AND_KIND,
        JobStore.CANCEL, JobStore.WATCH, JobStore.SELECT_BY_IDS)) {
      assertTrue(statement(sql).contains(Job.COLUMNS), statement(sql));
    }
  }

  @Test
  void wakeUpsGoToTheChannelTheWorkersListenOn() {
    assertEquals(List.of(JobStore.WAKE_CHANNEL), channels(JobStore.NOTIFY));
    assertEquals(List.of(JobStore.WAKE_CHANNEL), channels(JobStore.RESUME), statement(JobStore.RESUME));
    // Watching locks the row, which a claim's SKIP LOCKED passes over: a due job wakes the workers again.
    assertEquals(List.of(JobStore.WAKE_CHANNEL), channels(JobStore.WATCH), statement(JobStore.WATCH));
    // A claim of several kinds locks rows it leaves, which a claim beside it passes over: it wakes their workers.
    assertEquals(List.of(JobStore.WAKE_CHANNEL, JobStore.EVENTS_CHANNEL), channels(JobStore.CLAIM), statement(JobStore.CLAIM));
    for (String sql : List.of(JobStore.FINISH, JobStore.RESCUE)) {
      assertEquals(List.of(JobStore.WAKE_CHANNEL, JobStore.EVENTS_CHANNEL), channels(sql), statement(sql));
    }
  }

  @Test
  void cancelRequestsGoToTheCancelChannel() {
    assertEquals(List.of(JobStore.CANCEL_CHANNEL, JobStore.EVENTS_CHANNEL), channels(JobStore.CANCEL));
  }

  @Test
  void everyChangeOfAWatchedJobTellsItsWatchersAndOnlyWatchedJobsDo() {
    for (String sql : List.of(JobStore.CLAIM, JobStore.HEARTBEAT, JobStore.FINISH, JobStore.RESCUE, JobStore.CANCEL)) {
      assertTrue(channels(sql).contains(JobStore.EVENTS_CHANNEL), statement(sql));
      assertTrue(statement(sql).matches(".*WHEN (j\\.)?watched\\b.*pg_notify\\('" + JobStore.EVENTS_CHANNEL + "'.*"),
          "only watched jobs notify: " + statement(sql));
    }
  }

  @Test
  void aMissingFileFailsNamingIt() {
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> JobSql.load("no_such_statement"));
    assertTrue(e.getMessage().contains("dev/gather/jobs/queue/no_such_statement.sql"), e.getMessage());
  }
}
