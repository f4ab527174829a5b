package dev.gather.jobs.schedule;

import dev.gather.config.JobsConfig;
import dev.gather.config.ScheduleConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Enqueues the jobs of every schedule when their ticks come, in every process that runs jobs. Each process arms
 * one timer for the earliest next tick of all its schedules; when it fires, each schedule's due ticks
 * ({@link TickPlan}) go to the database in one statement that enqueues only those no replica has enqueued yet
 * ({@code fire.sql}), so all replicas may try and exactly one job per tick results. API schedules are re-read
 * every {@value #RELOAD_MS} ms (at once when this process's API changed one), since another replica's API may
 * have changed them.
 */
final class Scheduler {
  /** Published (locally) by the API after it created, replaced or deleted a schedule. */
  static final String CHANGED = "jobs.schedules.changed";
  static final long RELOAD_MS = 5000;
  private static final Logger LOG = LoggerFactory.getLogger(Scheduler.class);

  private final Vertx vertx;
  private final ScheduleStore store;
  private final JobsConfig config;
  private final Clock clock;
  /** What runs now: the config schedules once their state rows exist, and the API schedules last read. */
  private final Map<String, Schedule> active = new HashMap<>();
  /** Per schedule, the newest tick known to be taken care of (by any replica): the database's, or ours since. */
  private final Map<String, Instant> lastTicks = new HashMap<>();
  /** When each API schedule was last changed, so an unchanged one is not parsed again on every reload. */
  private final Map<String, Instant> versions = new HashMap<>();
  private final Set<String> firing = new HashSet<>();
  private final Map<String, Schedule> fromConfig = new HashMap<>();
  private boolean configRegistered;
  private long tickTimer = -1;
  private long reloadTimer = -1;
  private MessageConsumer<String> changes;
  private boolean stopped;

  Scheduler(Vertx vertx, ScheduleStore store, JobsConfig config, Clock clock) {
    this.vertx = vertx;
    this.store = store;
    this.config = config;
    this.clock = clock;
    config.schedules().values().forEach(s -> fromConfig.put(s.name(), Schedule.of(s, StoredSchedule.CONFIG)));
  }

  Future<Void> start() {
    changes = vertx.eventBus().consumer(CHANGED, message -> reload());
    reloadTimer = vertx.setPeriodic(RELOAD_MS, t -> reload());
    reload();
    return changes.completion();
  }

  void stop() {
    stopped = true;
    vertx.cancelTimer(tickTimer);
    vertx.cancelTimer(reloadTimer);
    if (changes != null) {
      changes.unregister();
    }
  }

  /**
   * Registers the config schedules (until that has worked once; the database may be down or not migrated yet),
   * then reads every schedule's row: API definitions and last ticks.
   */
  private void reload() {
    Future<Void> registered = configRegistered || fromConfig.isEmpty()
        ? Future.succeededFuture()
        : store.registerConfig(List.copyOf(fromConfig.keySet())).map(taken -> {
          if (!taken.isEmpty()) {
            LOG.warn("schedules {} are in jobs.schedules and replace the API schedules of the same names", taken);
          }
          configRegistered = true;
          return null;
        });
    registered.compose(ignored -> store.all())
        .onSuccess(this::use)
        .onFailure(e -> LOG.debug("schedules not reloaded: {}", e.getMessage()));
  }

  private void use(List<StoredSchedule> rows) {
    if (stopped) {
      return;
    }
    Map<String, Schedule> next = new HashMap<>();
    for (StoredSchedule row : rows) {
      lastTicks.merge(row.name(), row.lastTick(), (a, b) -> a.isAfter(b) ? a : b);
      if (row.source().equals(StoredSchedule.CONFIG)) {
        Schedule own = fromConfig.get(row.name());
        if (own != null) {
          next.put(own.name(), own);
        }
      } else if (row.definition().isPresent()) {
        Schedule known = active.get(row.name());
        if (known != null && row.updatedAt().equals(versions.get(row.name()))) {
          next.put(row.name(), known);
        } else {
          parse(row).ifPresent(schedule -> next.put(schedule.name(), schedule));
          versions.put(row.name(), row.updatedAt());
        }
      }
    }
    lastTicks.keySet().retainAll(next.keySet());
    versions.keySet().retainAll(next.keySet());
    active.clear();
    active.putAll(next);
    arm();
  }

  private java.util.Optional<Schedule> parse(StoredSchedule row) {
    List<String> problems = new ArrayList<>();
    ScheduleConfig parsed = ScheduleConfig.parse("schedule " + row.name(), row.name(), row.definition().get(), problems);
    if (!problems.isEmpty()) {
      // Stored through the API's checks, so only a definition written by hand (or an older gather) lands here.
      LOG.warn("API schedule {} skipped: {}", row.name(), String.join("; ", problems));
      return java.util.Optional.empty();
    }
    return java.util.Optional.of(Schedule.of(parsed, StoredSchedule.API));
  }

  /** One timer, for the earliest next tick of all schedules (a reload re-arms it). */
  private void arm() {
    if (stopped) {
      return;
    }
    vertx.cancelTimer(tickTimer);
    Instant now = clock.instant();
    long delayMs = RELOAD_MS;
    for (Schedule schedule : active.values()) {
      java.util.Optional<Instant> next = schedule.cadence().next(now);
      if (next.isPresent()) {
        // Rounded up: a timer that fired a little before the tick would find nothing due and re-arm for 1 ms.
        long ms = (Duration.between(now, next.get()).toNanos() + 999_999) / 1_000_000;
        delayMs = Math.min(delayMs, ms);
      }
    }
    tickTimer = vertx.setTimer(Math.max(1, delayMs), t -> fireDue());
  }

  private void fireDue() {
    Instant now = clock.instant();
    for (Schedule schedule : active.values()) {
      Instant last = lastTicks.get(schedule.name());
      if (last == null || firing.contains(schedule.name())) {
        continue;
      }
      ScheduleConfig def = schedule.config();
      List<Instant> due = TickPlan.due(schedule.cadence(), def.catchUp(), def.catchUpMax(), last, now);
      if (!due.isEmpty()) {
        fire(schedule, due);
      }
    }
    arm();
  }

  private void fire(Schedule schedule, List<Instant> due) {
    String name = schedule.name();
    firing.add(name);
    ScheduleConfig.ScheduledJob job = schedule.config().job();
    ScheduleStore.ResolvedJob resolved = new ScheduleStore.ResolvedJob(job.kind(), job.input(), job.priority(),
        job.maxAttempts().orElse(config.maxAttempts()), job.timeoutMs().orElse(config.timeoutMs()));
    store.fire(name, due, resolved)
        .onComplete(done -> firing.remove(name))
        .onSuccess(made -> {
          // Made here or by another replica: either way these ticks are taken care of.
          lastTicks.computeIfPresent(name, (n, last) -> due.get(due.size() - 1).isAfter(last)
              ? due.get(due.size() - 1) : last);
          if (!made.isEmpty()) {
            LOG.debug("schedule {} enqueued {} for ticks {}", name, job.kind(), made);
          }
        })
        .onFailure(e -> LOG.warn("schedule {}: could not enqueue ticks {}: {}", name, due, e.getMessage()));
  }
}
