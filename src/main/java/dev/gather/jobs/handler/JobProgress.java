package dev.gather.jobs.handler;

import dev.gather.jobs.queue.NulCharacters;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The progress one run reports ({@link JobContext#progress}), handed from its worker thread to the heartbeat on the
 * event loop. Only the latest report is kept: a handler may report as often as it likes, and the next heartbeat
 * writes the last one in the UPDATE that renews the lease anyway, so reporting never adds a write of its own.
 */
public final class JobProgress {
  /** Longer messages are cut: a handler that reports a whole log line by line must not grow the row without bound. */
  public static final int MAX_MESSAGE_CHARS = 200;

  /** One report: 0-100 and a short text (null: none). */
  public record Report(int percent, String message) {}

  private final AtomicReference<Report> unsent = new AtomicReference<>();

  /** @throws IllegalArgumentException when {@code percent} is not 0-100 */
  void report(int percent, String message) {
    if (percent < 0 || percent > 100) {
      throw new IllegalArgumentException("progress must be 0-100 percent, got " + percent);
    }
    String text = message == null ? null
        : NulCharacters.replaced(message.length() > MAX_MESSAGE_CHARS ? message.substring(0, MAX_MESSAGE_CHARS) : message);
    unsent.set(new Report(percent, text));
  }

  /** The report not sent yet, if any; it is sent now (hand it back with {@link #unsent} if that fails). */
  public Report take() {
    return unsent.getAndSet(null);
  }

  /** A report {@link #take() taken} could not be written: it goes again, unless a newer one came meanwhile. */
  public void unsent(Report report) {
    unsent.compareAndSet(null, report);
  }
}
