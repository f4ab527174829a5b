package dev.gather.config;

import com.cronutils.model.Cron;
import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;

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
   * The expression, checked, including that it ever runs. Call it off the event loop for text a client sent.
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
    Cron parsed;
    try {
      Cron cron = (fields == 5 ? UNIX : WITH_SECONDS).parse(trimmed);
      cron.validate();
      parsed = cron;
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("is not a valid " + fields + "-field cron expression (" + e.getMessage()
          + "); e.g. \"0 3 * * *\" is 03:00 every day, \"*/10 * * * * *\" every 10 seconds");
    }
    // A date that never comes (February 30) passes validate(), and cron-utils then searches for over a second on
    // every next-run question: refused here, once, so no stored schedule ever costs that. A real date answers in
    // about a millisecond. (The API runs this check off the event loop.)
    if (ExecutionTime.forCron(parsed).nextExecution(ZonedDateTime.now(ZoneOffset.UTC)).isEmpty()) {
      throw new IllegalArgumentException("never matches a date (e.g. the 30th of February); pick a day that exists");
    }
    return parsed;
  }
}
