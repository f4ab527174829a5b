package dev.gather.logging;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.core.joran.spi.JoranException;
import ch.qos.logback.core.joran.util.ConfigurationWatchListUtil;
import dev.gather.config.LogConfig;
import java.net.URL;
import org.slf4j.LoggerFactory;

/**
 * Puts {@code log.format} into effect. Logback configures itself before gather has read its configuration, in
 * text; a different format reloads the same Logback file with the context property {@value #PROPERTY} set,
 * which picks the root appender (see {@code logback.xml}). A file given with {@code -Dlogback.configurationFile}
 * is reloaded the same way and may use the property too.
 */
public final class Logs {
  static final String PROPERTY = "logFormat";

  private Logs() {}

  /** The format now in effect. */
  public static synchronized LogConfig.Format format() {
    if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
      return LogConfig.Format.JSON.key().equals(context.getProperty(PROPERTY))
          ? LogConfig.Format.JSON : LogConfig.Format.TEXT;
    }
    return LogConfig.Format.TEXT;
  }

  /**
   * Switches to {@code format} unless it is in effect already. Call it before anything is served: the reload
   * stops and restarts every appender (the access log's queue is written out first).
   */
  public static synchronized void use(LogConfig.Format format) {
    if (format == format() || !(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
      return;
    }
    URL file = ConfigurationWatchListUtil.getMainWatchURL(context);
    if (file == null) {
      file = Logs.class.getResource("/logback.xml");
    }
    context.reset();
    context.putProperty(PROPERTY, format.key());
    JoranConfigurator configurator = new JoranConfigurator();
    configurator.setContext(context);
    try {
      configurator.doConfigure(file);
    } catch (JoranException e) {
      // The file was read at start already; failing now means it changed on disk. Logback keeps what it could.
      System.err.println("log.format " + format.key() + ": could not reload " + file + ": " + e.getMessage());
    }
  }
}
