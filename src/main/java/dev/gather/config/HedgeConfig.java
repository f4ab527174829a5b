package dev.gather.config;

import java.util.OptionalInt;

/**
 * When a second copy of a slow call goes out: after a fixed {@code hedgeAfterMs}, or, with "p95", after the
 * 95th percentile of the upstream's recent answers (hedging then waits for enough answers to know it).
 * Neither means no hedging.
 */
public record HedgeConfig(OptionalInt afterMs, boolean adaptive) {
  public static final String ADAPTIVE = "p95";
  private static final int DAY_MS = 86_400_000;

  static HedgeConfig parse(Fields in) {
    if (!in.has("hedgeAfterMs")) {
      return new HedgeConfig(OptionalInt.empty(), false);
    }
    if (in.isText("hedgeAfterMs", ADAPTIVE)) {
      return new HedgeConfig(OptionalInt.empty(), true);
    }
    return new HedgeConfig(OptionalInt.of(in.integer("hedgeAfterMs", 100, 1, DAY_MS)), false);
  }

  public boolean enabled() {
    return adaptive || afterMs.isPresent();
  }
}
