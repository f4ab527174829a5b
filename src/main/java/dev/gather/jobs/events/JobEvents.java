package dev.gather.jobs.events;

import dev.gather.jobs.queue.Job;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What a watcher is told between two snapshots of a job: a state event when its state moved, a progress event when
 * its progress did, and once it has finished its result. Pure, so the order is testable without a database: a job
 * seen running for the first time is running before it reports (state, then progress); a job seen finished made its
 * last report before it ended (progress, then state); the result is always last.
 * Snapshots, not a log: a watcher that looks twice a second may not see a state the job held for less (a retry's
 * short stay in the queue), but it always sees the latest one, and always the end.
 */
public final class JobEvents {
  private JobEvents() {}

  /** {@code before}: what the watcher was shown last, null for nothing yet. */
  public static List<JobEvent> between(Job before, Job after) {
    List<JobEvent> events = new ArrayList<>(3);
    JsonObject state = state(after);
    JobEvent stateEvent = before == null || !state(before).equals(state) ? new JobEvent(JobEvent.STATE, state) : null;
    JobEvent progressEvent = after.progress() != null
        && (before == null || !Objects.equals(before.progress(), after.progress()))
        ? new JobEvent(JobEvent.PROGRESS, after.progress().toJson().put("id", after.id())) : null;
    // A run's last report belongs before its end; a run's first one after its start.
    boolean ended = after.finished() && (before == null || !before.finished());
    if (ended && progressEvent != null) {
      events.add(progressEvent);
      progressEvent = null;
    }
    if (stateEvent != null) {
      events.add(stateEvent);
    }
    if (progressEvent != null) {
      events.add(progressEvent);
    }
    if (ended) {
      events.add(new JobEvent(JobEvent.RESULT, after.toJson()));
    }
    return events;
  }

  /** The part of a job whose change is a state event: everything that moves except progress and the result. */
  static JsonObject state(Job job) {
    return new JsonObject()
        .put("id", job.id())
        .put("status", job.status())
        .put("attempts", job.attempts())
        .put("snoozes", job.snoozes())
        .put("runAt", job.runAt().toString())
        .put("worker", job.worker())
        .put("cancelRequested", job.cancelRequested())
        .put("lastError", job.lastError());
  }
}
