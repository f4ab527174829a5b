package dev.gather.jobs.handler;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * How an event loop tells a job on a worker thread to stop: raised once, read by the job whenever it looks.
 * Sleeping jobs wake at once through the latch. The first reason wins. Raised by the lanes; handlers see it only
 * through {@link JobContext}.
 */
public final class CancelSignal {
  /** Why a run was asked to stop; it decides what is written back when the run returns. */
  public enum Why {
    TIMEOUT,
    CANCELLED,
    STOPPING,
    LEASE_LOST
  }

  private record Raised(Why why, String detail) {}

  private volatile Raised raised;
  private final CountDownLatch latch = new CountDownLatch(1);

  /** Returns true for the call that raised it; the first reason wins. */
  public synchronized boolean raise(Why why, String detail) {
    if (raised != null) {
      return false;
    }
    raised = new Raised(why, detail);
    latch.countDown();
    return true;
  }

  public boolean raised() {
    return raised != null;
  }

  public Why why() {
    Raised r = raised;
    return r == null ? null : r.why();
  }

  public String detail() {
    Raised r = raised;
    return r == null ? null : r.detail();
  }

  /** Sleeps up to {@code ms}; returns false when woken early by the signal. */
  public boolean sleep(long ms) throws InterruptedException {
    return !latch.await(ms, TimeUnit.MILLISECONDS);
  }
}
