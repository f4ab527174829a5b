package dev.gather.config;

import java.util.Locale;

/** How gather writes its logs; {@code format} applies to every logger, the access log included. */
public record LogConfig(Format format) {

  public enum Format {
    /** Lines for a person at a terminal: the quick start's default. */
    TEXT,
    /** One JSON object per line, for a log collector (the container image and the Kubernetes manifests). */
    JSON;

    public String key() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** What {@code text | json} names; a mistake is a problem that names the key and the two values. */
  static Format format(ConfigReader in) {
    String value = in.text(ConfigKey.LOG_FORMAT);
    for (Format format : Format.values()) {
      if (format.key().equalsIgnoreCase(value)) {
        return format;
      }
    }
    in.problem(ConfigKey.LOG_FORMAT.path() + " = \"" + value + "\": not a log format; use \"text\" (lines for a "
        + "terminal) or \"json\" (one JSON object per line, for a log collector)");
    return Format.TEXT;
  }
}
