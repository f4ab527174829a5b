package dev.gather.config;

import java.util.Locale;
import java.util.Optional;

/**
 * The routes of the API by what they are for; authentication and rate limits are set per group (and per
 * aggregate). Health probes form their own group, which no policy may close.
 */
public enum RouteGroup {
  /** {@code GET /}: name, version, uptime. */
  INFO,
  /** {@code /health/live}, {@code /health/ready}: always open, for the orchestrator. */
  HEALTH,
  METRICS,
  /** {@code /openapi.yaml}, {@code /docs}. */
  DOCS,
  USERS,
  JOBS,
  COMPUTE,
  AGGREGATES,
  PROXY,
  /** Operations that change gather's state, such as {@code DELETE /admin/cache}. */
  ADMIN,
  /**
   * The operator console's data ({@code /console/api/...}): what gather is doing, never a secret. Without a policy
   * of its own it has the {@code admin} group's, the operations routes' (see {@link AuthConfig#policy}).
   */
  CONSOLE;

  /** The name used in config: {@code aggregates}, {@code proxy}... */
  public String key() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Optional<RouteGroup> byKey(String key) {
    for (RouteGroup group : values()) {
      if (group.key().equals(key)) {
        return Optional.of(group);
      }
    }
    return Optional.empty();
  }
}
