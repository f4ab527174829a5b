package dev.gather.db.embedded;

import java.time.Duration;

/** The moment a polling loop gives up; shared by the steps of one start so they cannot each use the full timeout. */
final class Deadline {
  private final long nanos;

  private Deadline(long nanos) {
    this.nanos = nanos;
  }

  static Deadline after(Duration timeout) {
    return new Deadline(System.nanoTime() + timeout.toNanos());
  }

  boolean passed() {
    return System.nanoTime() - nanos >= 0;
  }

  /**
   * Sleeps between polls. An interrupt ends the wait with an exception, keeping the interrupt flag, so a caller that
   * is being shut down is not held up by a loop that would poll on.
   */
  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for PostgreSQL", e);
    }
  }
}
