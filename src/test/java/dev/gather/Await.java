package dev.gather;

import java.time.Duration;
import java.util.function.Predicate;

/**
 * Waits in tests for something to become true, by asking again with a growing pause (5 ms up to 200 ms), and
 * fails with what it waited for and what it saw last. The one place where tests pause: they wait on a
 * condition, never for a fixed time.
 */
public final class Await {
  private static final long FIRST_PAUSE_MS = 5;
  private static final long LONGEST_PAUSE_MS = 200;

  /** A condition that may have to ask the process under test (and fail doing so). */
  @FunctionalInterface
  public interface Condition {
    boolean holds() throws Exception;
  }

  /** A reading that may have to ask the process under test. */
  @FunctionalInterface
  public interface Probe<T> {
    T read() throws Exception;
  }

  private Await() {
  }

  /** Returns once {@code condition} holds; fails if it does not within {@code timeout}. */
  public static void until(String description, Duration timeout, Condition condition) throws Exception {
    value(description, timeout, condition::holds, Boolean::booleanValue);
  }

  /**
   * A reading of {@code probe} that has stayed the same for {@code window}: for what must stop changing (a paused
   * client's stream); fails if none does within {@code timeout}.
   */
  public static <T> T steady(String description, Duration window, Duration timeout, Probe<T> probe) throws Exception {
    Object[] last = {new Object()};
    long[] since = {0};
    return value(description + " to hold still for " + window.toMillis() + " ms", timeout, probe, reading -> {
      long now = System.nanoTime();
      if (!java.util.Objects.equals(reading, last[0])) {
        last[0] = reading;
        since[0] = now;
        return false;
      }
      return now - since[0] >= window.toNanos();
    });
  }

  /** The first reading of {@code probe} that {@code accepted} takes; fails if none does within {@code timeout}. */
  public static <T> T value(String description, Duration timeout, Probe<T> probe, Predicate<? super T> accepted)
      throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    long pauseMs = FIRST_PAUSE_MS;
    while (true) {
      T reading = probe.read();
      if (accepted.test(reading)) {
        return reading;
      }
      long leftMs = (deadline - System.nanoTime()) / 1_000_000;
      if (leftMs <= 0) {
        throw new AssertionError("waited " + timeout.toMillis() + " ms for " + description
            + (reading instanceof Boolean ? "" : "; last seen: " + reading));
      }
      Thread.sleep(Math.min(pauseMs, leftMs));
      pauseMs = Math.min(LONGEST_PAUSE_MS, pauseMs * 2);
    }
  }
}
