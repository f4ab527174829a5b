package dev.gather.jobs.queue;

import io.vertx.core.json.JsonObject;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;

/** The values the {@link JobStore} takes and gives, and the local event-bus addresses that wake and cancel runs. */
public final class JobRequests {
  /** Published (locally) when new jobs may be due (an enqueue here, or a NOTIFY); the body is the kind, or "". */
  public static final String WAKE = "jobs.wake";
  /** Published (locally) when any process asked to cancel a running job; the body is the job id. */
  public static final String CANCEL_RUNNING = "jobs.cancel";
  /** Published (locally) when a watched job changed (a NOTIFY on gather_job_events); the body is the job id. */
  public static final String CHANGED = "jobs.changed";

  private JobRequests() {}

  public record Enqueue(String kind, JsonObject input, int priority, Optional<OffsetDateTime> runAt, int maxAttempts,
      long timeoutMs, Optional<String> idempotencyKey, Optional<Unique> unique) {}

  /**
   * A job unique by {@code values} (path → value, e.g. {@code {"kind": "sleep", "input.userId": 7}}) within
   * {@code periodSeconds} buckets when given, while it is in one of {@code states} (always queued and running).
   */
  public record Unique(JsonObject values, Optional<Long> periodSeconds, List<String> states) {
    public Unique {
      states = List.copyOf(states);
    }
  }

  /**
   * {@code replayed}: the Idempotency-Key was seen before and this is the job it created then;
   * {@code duplicate}: another job held the unique key, and this is that job (nothing was queued).
   */
  public record Enqueued(Job job, boolean replayed, boolean duplicate) {}

  /**
   * A claimed job, with what a worker needs to run it; {@code attempt} also fences its outcome; {@code snoozes}:
   * how often it snoozed before (jobs.maxSnoozes bounds it).
   */
  public record Claimed(long id, String kind, JsonObject input, int attempt, int maxAttempts, long timeoutMs,
      int snoozes) {
    public Claimed(long id, String kind, JsonObject input, int attempt, int maxAttempts, long timeoutMs) {
      this(id, kind, input, attempt, maxAttempts, timeoutMs, 0);
    }

    public Lease lease() {
      return new Lease(id, attempt);
    }
  }

  /** One claim of one job: the attempt tells this run's lease from an earlier or later run's. */
  public record Lease(long id, int attempt) {}

  /** Progress a run reported since the last heartbeat, which carries it to the row (see heartbeat.sql). */
  public record Reported(Lease lease, int percent, String message) {}

  /** Of the renewed jobs, those someone asked to cancel; leases missing from {@code renewed} are lost. */
  public record Renewed(List<Lease> renewed, List<Long> cancelRequested) {
    public Renewed {
      renewed = List.copyOf(renewed);
      cancelRequested = List.copyOf(cancelRequested);
    }
  }

  /** Jobs whose lease had expired: requeued, or failed when no attempts were left. */
  public record Rescued(List<Long> requeued, List<Long> failed) {
    public Rescued {
      requeued = List.copyOf(requeued);
      failed = List.copyOf(failed);
    }
  }

  public record DepthRow(String status, String kind, long count) {}
}
