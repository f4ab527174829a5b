package dev.gather.logging;

import dev.gather.config.LogConfig;

/**
 * Puts {@code log.format} into effect: the root appender's {@link FormatEncoder} writes each event in the format
 * named here, text until gather has read its configuration. The access log is told the format directly (it writes
 * its own lines, see {@code AccessLog}).
 */
public final class Logs {
  private static volatile LogConfig.Format format = LogConfig.Format.TEXT;

  private Logs() {}

  /** The format now in effect. */
  public static LogConfig.Format format() {
    return format;
  }

  /** From now on, lines are written in {@code format}. */
  public static void use(LogConfig.Format format) {
    Logs.format = format;
  }
}
