package dev.gather.upstream;

import dev.gather.config.BreakerConfig;
import dev.gather.time.Ticker;
import java.util.Optional;

/**
 * Stops calling an upstream that keeps failing. Closed: calls go through, and it opens after
 * {@code failures} failures in a row or when the failure ratio of the window passes {@code failureRatio}
 * (given {@code minCalls}). Open: every call fails at once. After {@code resetMs} it lets one probe through
 * (half-open): a success closes it, a failure opens it again. Shared by the process; thread-safe.
 */
final class CircuitBreaker {
  enum State { CLOSED, OPEN, HALF_OPEN }

  /** Leave to make one call; tell the breaker how it went with {@link #succeeded} or {@link #failed}. */
  final class Pass {
    private final boolean probe;
    private boolean reported;

    private Pass(boolean probe) {
      this.probe = probe;
    }

    void succeeded() {
      report(this, true);
    }

    void failed() {
      report(this, false);
    }

    /** The call was given up before it could tell anything (cancelled): a probe slot opens again. */
    void abandoned() {
      synchronized (CircuitBreaker.this) {
        if (!reported && probe) {
          reported = true;
          probing = false;
        }
      }
    }
  }

  private final BreakerConfig config;
  private final Ticker ticker;
  private final SlidingCounts window;
  private State state = State.CLOSED;
  private int failuresInARow;
  private long openedAt;
  private boolean probing;
  private long opened;

  CircuitBreaker(BreakerConfig config, Ticker ticker) {
    this.config = config;
    this.ticker = ticker;
    this.window = new SlidingCounts(config.windowMs(), ticker);
  }

  /** A pass for one call, or none while the breaker is open (or its one probe is under way). */
  synchronized Optional<Pass> pass() {
    if (state == State.OPEN && probeDue()) {
      state = State.HALF_OPEN;
    }
    return switch (state) {
      case CLOSED -> Optional.of(new Pass(false));
      case OPEN -> Optional.empty();
      case HALF_OPEN -> {
        if (probing) {
          yield Optional.empty();
        }
        probing = true;
        yield Optional.of(new Pass(true));
      }
    };
  }

  synchronized State state() {
    if (state == State.OPEN && probeDue()) {
      return State.HALF_OPEN;
    }
    return state;
  }

  /** How many times it has opened, for the metrics. */
  synchronized long timesOpened() {
    return opened;
  }

  /** Milliseconds until the next probe may go, for Retry-After; 0 when closed. */
  synchronized long msUntilProbe() {
    if (state != State.OPEN) {
      return 0;
    }
    return Math.max(0, config.resetMs() - ticker.millisSince(openedAt));
  }

  private boolean probeDue() {
    return ticker.nanoTime() - openedAt >= config.resetMs() * 1_000_000L;
  }

  private synchronized void report(Pass pass, boolean success) {
    if (pass.reported) {
      return;
    }
    pass.reported = true;
    window.add(!success);
    if (pass.probe) {
      probing = false;
      if (success) {
        state = State.CLOSED;
        failuresInARow = 0;
        window.clear();
      } else {
        open();
      }
      return;
    }
    if (success) {
      failuresInARow = 0;
      return;
    }
    failuresInARow++;
    if (state == State.CLOSED && (failuresInARow >= config.failures() || ratioExceeded())) {
      open();
    }
  }

  private boolean ratioExceeded() {
    long calls = window.total();
    return calls >= config.minCalls() && window.marked() >= config.failureRatio() * calls;
  }

  private void open() {
    state = State.OPEN;
    openedAt = ticker.nanoTime();
    opened++;
  }
}
