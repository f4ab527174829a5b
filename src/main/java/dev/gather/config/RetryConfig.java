package dev.gather.config;

import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * When a failed call to an upstream is tried again: only for the listed (idempotent) methods, after a connect
 * failure, a try that timed out, or one of the {@code retryOn} statuses; at most {@code retries} times, with
 * exponential backoff and full jitter, never past the deadline, and only while the upstream's retry budget
 * allows (retries at most {@code budgetRatio} of calls over the last 10 s, plus {@code budgetMinPerSecond}).
 */
public record RetryConfig(
    int retries,
    List<Integer> retryOn,
    Set<String> methods,
    int backoffMs,
    int backoffMaxMs,
    int tryTimeoutMs,
    double budgetRatio,
    int budgetMinPerSecond) {

  static final Set<String> KEYS = Set.of("retries", "retryOn", "retryMethods", "retryBackoffMs",
      "retryBackoffMaxMs", "tryTimeoutMs", "retryBudget");
  private static final Set<String> BUDGET_KEYS = Set.of("ratio", "minPerSecond");
  private static final Set<String> IDEMPOTENT = Set.of("GET", "HEAD", "PUT", "DELETE", "OPTIONS");
  private static final int DAY_MS = 86_400_000;

  static RetryConfig parse(Fields in, int timeoutMs) {
    List<String> methods = in.texts("retryMethods");
    Set<String> upper = methods.isEmpty() && !in.has("retryMethods")
        ? IDEMPOTENT
        : Set.copyOf(methods.stream().map(m -> m.toUpperCase(Locale.ROOT)).toList());
    for (String method : upper) {
      if (!Set.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS").contains(method)) {
        in.problem("retryMethods", ": \"" + method + "\" is not an HTTP method");
      }
    }
    JsonObject budget = in.object("retryBudget").orElse(new JsonObject());
    Fields budgetIn = in.nested("retryBudget", budget);
    budgetIn.rejectUnknown(BUDGET_KEYS);
    int backoffMs = in.integer("retryBackoffMs", 25, 1, DAY_MS);
    return new RetryConfig(
        in.integer("retries", 0, 0, 10),
        in.integers("retryOn", List.of(502, 503, 504), 100, 599),
        upper,
        backoffMs,
        in.integer("retryBackoffMaxMs", Math.max(backoffMs, 250), 1, DAY_MS),
        in.integer("tryTimeoutMs", timeoutMs, 1, DAY_MS),
        budgetIn.fraction("ratio", 0.2, 0.0, 1.0),
        budgetIn.integer("minPerSecond", 10, 0, 1_000_000));
  }

  public boolean retries(String method) {
    return retries > 0 && methods.contains(method);
  }
}
