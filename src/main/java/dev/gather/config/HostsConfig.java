package dev.gather.config;

import java.util.Optional;
import java.util.Set;

/**
 * How calls to an upstream with several hosts ({@code urls}) are spread and which hosts are left out: the balance
 * rule, passive outlier ejection (a host that fails {@code ejectAfterFailures} times in a row is left out for
 * {@code ejectMs} × the times it has been ejected, at most {@code maxEjectMs}; never more than
 * {@code maxEjectedPercent} of the hosts at once; so too a host whose failure share over {@code outlierWindowMs}
 * is above {@code outlierFailurePercent} and at least twice the mean of the other hosts'), and the optional active
 * health check.
 *
 * @param healthPath the path (as given, not under the base path) a GET checks every {@code healthIntervalMs}; a
 *     host that twice in a row does not answer 2xx within {@code healthTimeoutMs} is left out until it does;
 *     empty: no active check
 * @param outlierWindowMs the sliding window over which each host's failure share is counted
 * @param outlierMinRequests the tries a host (and each host it is compared with) must have ended in the window
 *     before its share is judged
 * @param outlierFailurePercent the failure share a host must exceed to be ejected by rate; 100: never
 * @param resolveEveryMs how often each host of {@code urls} named by a DNS name (not an IP address) is resolved
 *     again into all its addresses, each a host of its own; 0: never, the name is one host (Vert.x resolves it
 *     when it connects)
 */
public record HostsConfig(
    Balance balance,
    int ejectAfterFailures,
    int ejectMs,
    int maxEjectMs,
    int maxEjectedPercent,
    Optional<String> healthPath,
    int healthIntervalMs,
    int healthTimeoutMs,
    int outlierWindowMs,
    int outlierMinRequests,
    int outlierFailurePercent,
    int resolveEveryMs) {

  /** Without DNS resolution into hosts: the form from before {@code resolveEveryMs}. */
  public HostsConfig(Balance balance, int ejectAfterFailures, int ejectMs, int maxEjectMs, int maxEjectedPercent,
      Optional<String> healthPath, int healthIntervalMs, int healthTimeoutMs, int outlierWindowMs,
      int outlierMinRequests, int outlierFailurePercent) {
    this(balance, ejectAfterFailures, ejectMs, maxEjectMs, maxEjectedPercent, healthPath, healthIntervalMs,
        healthTimeoutMs, outlierWindowMs, outlierMinRequests, outlierFailurePercent, 0);
  }

  /** Least time between two resolutions: a DNS server is not to be hammered by a typo. */
  public static final int MIN_RESOLVE_EVERY_MS = 100;

  /** How the next call's host is chosen among those not left out. */
  public enum Balance {
    LEAST_IN_FLIGHT("least-in-flight"), ROUND_ROBIN("round-robin");

    public final String key;

    Balance(String key) {
      this.key = key;
    }
  }

  public static final HostsConfig DEFAULTS = new HostsConfig(Balance.LEAST_IN_FLIGHT, 5, 30_000, 300_000, 50,
      Optional.empty(), 5_000, 1_000, 10_000, 20, 50);

  static final Set<String> KEYS = Set.of("balance", "ejectAfterFailures", "ejectMs", "maxEjectMs",
      "maxEjectedPercent", "healthPath", "healthIntervalMs", "healthTimeoutMs", "outlierWindowMs", "outlierMinRequests",
      "outlierFailurePercent", "resolveEveryMs");
  private static final int DAY_MS = 86_400_000;

  static HostsConfig parse(Fields in) {
    Balance balance = Balance.LEAST_IN_FLIGHT;
    Optional<String> text = in.text("balance");
    if (text.isPresent()) {
      Optional<Balance> known = java.util.Arrays.stream(Balance.values())
          .filter(b -> b.key.equalsIgnoreCase(text.get())).findFirst();
      if (known.isEmpty()) {
        in.problem("balance", " = \"" + text.get() + "\": use least-in-flight (the default) or round-robin");
      }
      balance = known.orElse(Balance.LEAST_IN_FLIGHT);
    }
    int ejectMs = in.integer("ejectMs", DEFAULTS.ejectMs, 1, DAY_MS);
    Optional<String> healthPath = in.text("healthPath");
    if (healthPath.isPresent() && (!healthPath.get().startsWith("/") || healthPath.get().contains("#"))) {
      in.problem("healthPath", " = \"" + healthPath.get() + "\": use a path starting with /, e.g. \"/healthz\"");
      healthPath = Optional.empty();
    }
    int intervalMs = in.integer("healthIntervalMs", DEFAULTS.healthIntervalMs, 100, DAY_MS);
    int resolveEveryMs = in.integer("resolveEveryMs", 0, 0, DAY_MS);
    if (resolveEveryMs > 0 && resolveEveryMs < MIN_RESOLVE_EVERY_MS) {
      in.problem("resolveEveryMs", " = " + resolveEveryMs + ": too often; use 0 (off) or at least "
          + MIN_RESOLVE_EVERY_MS + ", e.g. 30000");
      resolveEveryMs = 0;
    }
    return new HostsConfig(
        balance,
        in.integer("ejectAfterFailures", DEFAULTS.ejectAfterFailures, 1, 1_000_000),
        ejectMs,
        in.integer("maxEjectMs", Math.max(ejectMs, DEFAULTS.maxEjectMs), ejectMs, DAY_MS),
        in.integer("maxEjectedPercent", DEFAULTS.maxEjectedPercent, 0, 100),
        healthPath,
        intervalMs,
        in.integer("healthTimeoutMs", Math.min(DEFAULTS.healthTimeoutMs, intervalMs), 1, intervalMs),
        in.integer("outlierWindowMs", DEFAULTS.outlierWindowMs, 100, DAY_MS),
        in.integer("outlierMinRequests", DEFAULTS.outlierMinRequests, 1, 1_000_000),
        in.integer("outlierFailurePercent", DEFAULTS.outlierFailurePercent, 1, 100),
        resolveEveryMs);
  }
}
