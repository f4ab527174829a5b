package dev.gather.http;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/** Versions stamped into {@code gather.properties} by Maven resource filtering at build time. */
final class BuildInfo {
  private static final Properties PROPERTIES = load();
  static final String VERSION = PROPERTIES.getProperty("version", "unknown");
  static final String SWAGGER_UI_VERSION = PROPERTIES.getProperty("swaggerUiVersion", "unknown");

  private BuildInfo() {}

  private static Properties load() {
    Properties properties = new Properties();
    try (InputStream in = BuildInfo.class.getResourceAsStream("/gather.properties")) {
      if (in != null) {
        properties.load(in);
      }
      return properties;
    } catch (IOException e) {
      throw new UncheckedIOException("gather.properties is unreadable; the jar is damaged", e);
    }
  }
}
