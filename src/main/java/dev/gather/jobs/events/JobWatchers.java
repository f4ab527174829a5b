package dev.gather.jobs.events;

import dev.gather.failure.Failure;
import dev.gather.failure.FailureKind;
import dev.gather.jobs.queue.Job;
import dev.gather.jobs.queue.JobRequests;
import dev.gather.jobs.queue.JobStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The jobs one HTTP verticle's clients watch ({@code GET /jobs/{id}/events}, {@code POST /jobs} with Prefer: wait),
 * on its event loop. A watched job NOTIFYs gather_job_events on every change (see V6__job_progress.sql), which the
 * job workers' listening connection republishes as {@link JobRequests#CHANGED}; under that, every jobs.pollMs while
 * anything is watched, all watched jobs are read again, because a process without job workers does not LISTEN and
 * notifications sent while the connection is down are lost.
 *
 * <p>Reads go one at a time, each for every job marked since the last: under many changes that is one query for
 * many jobs, and each watcher sees snapshots in the order they were taken (never an older one after a newer one).
 * Single event loop only.
 */
public final class JobWatchers {
  private static final Logger LOG = LoggerFactory.getLogger(JobWatchers.class);

  private final Vertx vertx;
  private final JobStore store;
  private final WatchLimit limit;
  private final long pollMs;
  private final Map<Long, List<Watch>> watching = new HashMap<>();
  /** Jobs to read again: changed, or all of them at a poll. */
  private final Set<Long> dirty = new LinkedHashSet<>();
  private final MessageConsumer<Long> changes;
  private boolean reading;
  private long pollTimer = -1;

  public JobWatchers(Vertx vertx, JobStore store, WatchLimit limit, long pollMs) {
    this.vertx = vertx;
    this.store = store;
    this.limit = limit;
    this.pollMs = pollMs;
    this.changes = vertx.eventBus().<Long>localConsumer(JobRequests.CHANGED, message -> {
      if (watching.containsKey(message.body())) {
        dirty.add(message.body());
        read();
      }
    });
  }

  /**
   * Follows job {@code id}: marks it watched and reads it. Fails NOT_FOUND for no such job, and SHED (503 with
   * Retry-After) when jobs.maxWatchers are taken. The caller must {@link Watch#close()} it.
   */
  public Future<Watch> watch(long id) {
    if (!limit.tryTake()) {
      return Future.failedFuture(new Failure(FailureKind.SHED, null, "this process already follows "
          + limit.max() + " jobs for event streams and waits (jobs.maxWatchers); retry later or ask another instance",
          OptionalLong.of(Math.max(1000, pollMs))));
    }
    return store.watch(id)
        .onFailure(e -> limit.give())
        .map(job -> {
          Watch watch = new Watch(id, job);
          watching.computeIfAbsent(id, k -> new ArrayList<>()).add(watch);
          if (pollTimer == -1) {
            pollTimer = vertx.setPeriodic(pollMs, t -> {
              dirty.addAll(watching.keySet());
              read();
            });
          }
          // A change may have come between the mark and now without its NOTIFY reaching us: look once more.
          dirty.add(id);
          read();
          return watch;
        });
  }

  private void read() {
    if (reading || dirty.isEmpty()) {
      return;
    }
    reading = true;
    List<Long> ids = new ArrayList<>(dirty);
    dirty.clear();
    // Only the watches open now get this snapshot: one opened meanwhile already holds a newer one (its mark).
    Map<Long, List<Watch>> to = new HashMap<>();
    ids.forEach(id -> {
      List<Watch> watches = watching.get(id);
      if (watches != null) {
        to.put(id, List.copyOf(watches));
      }
    });
    store.getAll(ids)
        .onSuccess(jobs -> {
          jobs.forEach(job -> to.getOrDefault(job.id(), List.of()).forEach(watch -> watch.seen(job)));
          // Deleted since (retention, or by hand): nothing more will come.
          Set<Long> found = new java.util.HashSet<>();
          jobs.forEach(job -> found.add(job.id()));
          to.forEach((id, watches) -> {
            if (!found.contains(id)) {
              watches.forEach(Watch::gone);
            }
          });
        })
        .onFailure(e -> LOG.debug("could not read {} watched jobs: {}; the next poll tries again", ids.size(),
            e.getMessage()))
        .onComplete(done -> {
          reading = false;
          read();
        });
  }

  /** Stops every watch, telling each (its stream ends, its wait answers): the process is stopping. */
  public Future<Void> close() {
    vertx.cancelTimer(pollTimer);
    List<Watch> all = new ArrayList<>();
    watching.values().forEach(all::addAll);
    all.forEach(watch -> {
      watch.gone();
      watch.close();
    });
    return changes.unregister();
  }

  /** One client's following of one job. */
  public final class Watch {
    private final long id;
    private Job last;
    private Consumer<List<JobEvent>> listener;
    private Runnable onGone = () -> {};
    private boolean closed;

    private Watch(long id, Job first) {
      this.id = id;
      this.last = first;
    }

    /** The job as last read. */
    public Job job() {
      return last;
    }

    /**
     * From now on {@code listener} gets what changed; at once, the job's state as it is (a state event, its
     * progress, and its result when it has finished). {@code onGone}: nothing more will come (the job was deleted
     * while watched, or this process is stopping).
     */
    public void listen(Consumer<List<JobEvent>> listener, Runnable onGone) {
      this.listener = listener;
      this.onGone = onGone;
      listener.accept(JobEvents.between(null, last));
    }

    private void seen(Job job) {
      if (closed) {
        return;
      }
      List<JobEvent> events = JobEvents.between(last, job);
      last = job;
      if (listener != null && !events.isEmpty()) {
        listener.accept(events);
      }
    }

    private void gone() {
      if (!closed) {
        onGone.run();
      }
    }

    /** Stops following; idempotent. */
    public void close() {
      if (closed) {
        return;
      }
      closed = true;
      limit.give();
      List<Watch> watches = watching.get(id);
      if (watches != null) {
        watches.remove(this);
        if (watches.isEmpty()) {
          watching.remove(id);
        }
      }
      if (watching.isEmpty()) {
        vertx.cancelTimer(pollTimer);
        pollTimer = -1;
      }
    }
  }
}
