package dev.gather.config;

import com.cronutils.model.Cron;
import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.parser.CronParser;

/**
 * The one place that says how a schedule's {@code cron} text is read, for the config check, the API and the
 * scheduler alike. Five fields are classic Unix cron (minute hour day-of-month month day-of-week); six fields put
 * seconds first, as Spring does ({@code "0 *}{@code /5 * * * *"} is every five minutes at second 0). Parsed by
 * cron-utils, which also computes the runs.
 */
public final class CronExpressions {
  private static final CronParser UNIX = new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));
  private static final CronParser WITH_SECONDS =
      new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.SPRING53));
  private static final int MAX_LENGTH = 200;

  private CronExpressions() {}

  /**
   * The expression, checked.
   *
   * @throws IllegalArgumentException with a message that says what is wrong and what is expected
   */
  public static Cron parse(String text) {
    String trimmed = text.trim();
    if (trimmed.isEmpty() || trimmed.length() > MAX_LENGTH) {
      throw new IllegalArgumentException("expected a cron expression of 5 fields (minute hour day-of-month month "
          + "day-of-week) or 6 (seconds first), at most " + MAX_LENGTH + " characters");
    }
    int fields = trimmed.split("\\s+").length;
    if (fields != 5 && fields != 6) {
      throw new IllegalArgumentException("has " + fields + " fields; write 5 (minute hour day-of-month month "
          + "day-of-week, e.g. \"*/5 * * * *\") or 6 with seconds first (e.g. \"0 */5 * * * *\")");
    }
    try {
      Cron cron = (fields == 5 ? UNIX : WITH_SECONDS).parse(trimmed);
      cron.validate();
      return cron;
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("is not a valid " + fields + "-field cron expression (" + e.getMessage()
          + "); e.g. \"0 3 * * *\" is 03:00 every day, \"*/10 * * * * *\" every 10 seconds");
    }
  }
}
