package dev.gather.jobs.schedule;

import com.cronutils.model.time.ExecutionTime;
import dev.gather.config.CronExpressions;
import dev.gather.config.ScheduleConfig;
import java.time.Instant;
import java.time.ZoneId;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * When a schedule ticks. A tick is an instant every replica computes alike, since the database keys jobs by it:
 * cron ticks are whole seconds of the schedule's zone (cron-utils handles daylight-saving gaps and repeats);
 * {@code everyMs} ticks are the multiples of the interval counted from the epoch, so two processes started at
 * different moments still agree on them.
 */
public interface Cadence {

  /** The first tick strictly after {@code after}; empty when there is none (a cron date that never comes). */
  Optional<Instant> next(Instant after);

  /** The last tick at or before {@code at}; empty when there is none. */
  Optional<Instant> latest(Instant at);

  /** Up to {@code n} ticks after {@code now}, in order: what {@code nextRuns} shows. */
  default List<Instant> nextRuns(Instant now, int n) {
    List<Instant> runs = new ArrayList<>(n);
    Instant at = now;
    for (int i = 0; i < n; i++) {
      Optional<Instant> next = next(at);
      if (next.isEmpty()) {
        break;
      }
      runs.add(next.get());
      at = next.get();
    }
    return runs;
  }

  static Cadence of(ScheduleConfig schedule) {
    if (schedule.cron().isPresent()) {
      String text = schedule.cron().get();
      // Unix cron matches any second of a matching minute: its ticks are whole minutes, the 6-field ones seconds.
      ChronoUnit unit = text.trim().split("\\s+").length == 5 ? ChronoUnit.MINUTES : ChronoUnit.SECONDS;
      return new Cron(ExecutionTime.forCron(CronExpressions.parse(text)), schedule.zone(), unit);
    }
    return new Every(schedule.everyMs().orElseThrow());
  }

  /** A cron expression in a zone; its ticks are whole {@code unit}s (minutes or seconds). */
  record Cron(ExecutionTime times, ZoneId zone, ChronoUnit unit) implements Cadence {
    @Override
    public Optional<Instant> next(Instant after) {
      return times.nextExecution(after.atZone(zone)).map(t -> t.toInstant());
    }

    @Override
    public Optional<Instant> latest(Instant at) {
      // A whole unit that matches is itself the latest tick; otherwise it is the one before. (Every zone in use
      // today is offset by whole minutes, so truncating the instant truncates the local time alike.)
      Instant whole = at.truncatedTo(unit);
      if (times.isMatch(whole.atZone(zone))) {
        return Optional.of(whole);
      }
      return times.lastExecution(whole.atZone(zone)).map(t -> t.toInstant());
    }
  }

  /** Every {@code everyMs} milliseconds, counted from the epoch. */
  record Every(long everyMs) implements Cadence {
    @Override
    public Optional<Instant> next(Instant after) {
      long ms = after.toEpochMilli();
      // toEpochMilli drops sub-millisecond parts, so an "after" just past a tick still moves to the next one.
      return Optional.of(Instant.ofEpochMilli(Math.floorDiv(ms, everyMs) * everyMs + everyMs));
    }

    @Override
    public Optional<Instant> latest(Instant at) {
      return Optional.of(Instant.ofEpochMilli(Math.floorDiv(at.toEpochMilli(), everyMs) * everyMs));
    }
  }
}
