package dev.gather.jobs.schedule;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * Which ticks of a schedule to enqueue now: a pure function of the cadence, the schedule's catch-up setting, the
 * last tick already taken care of and the time, so the scheduler's clock can be driven in tests.
 *
 * <p>Without catch-up only the current tick counts: the latest one, if it is newer than the last and at most
 * {@link #MISFIRE_GRACE} old (Quartz's default misfire threshold). A process that was down, or a database that
 * was unreachable, therefore never causes a burst: the ticks it missed are skipped, and a tick found a little late
 * still runs. With catch-up, every tick after the last one is enqueued, but never more than the newest
 * {@code catchUpMax}.
 */
public final class TickPlan {
  public static final Duration MISFIRE_GRACE = Duration.ofSeconds(60);

  private TickPlan() {}

  /** Ascending; empty when nothing is due. */
  public static List<Instant> due(Cadence cadence, boolean catchUp, int catchUpMax, Instant lastTick, Instant now) {
    Optional<Instant> latest = cadence.latest(now);
    if (latest.isEmpty() || !latest.get().isAfter(lastTick)) {
      return List.of();
    }
    if (!catchUp) {
      return Duration.between(latest.get(), now).compareTo(MISFIRE_GRACE) <= 0 ? List.of(latest.get()) : List.of();
    }
    List<Instant> ticks = new ArrayList<>();
    Optional<Instant> tick = latest;
    // Backwards from now, so the bound keeps the newest ticks and the walk never covers more than catchUpMax.
    while (tick.isPresent() && tick.get().isAfter(lastTick) && ticks.size() < catchUpMax) {
      ticks.add(tick.get());
      tick = cadence.latest(tick.get().minusNanos(1));
    }
    Collections.reverse(ticks);
    return ticks;
  }
}
