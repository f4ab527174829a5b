package dev.gather.jobs;

import io.vertx.core.json.JsonObject;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;

/**
 * What the jobs API and the job workers ask of the database verticle, and its replies. Records, so they travel
 * by reference through {@link dev.gather.db.LocalCodec}.
 */
public final class JobRequests {
  public static final String ENQUEUE = "db.jobs.enqueue";
  public static final String ENQUEUE_MANY = "db.jobs.enqueue.many";
  public static final String GET = "db.jobs.get";
  public static final String LIST = "db.jobs.list";
  public static final String CANCEL = "db.jobs.cancel";
  public static final String CLAIM = "db.jobs.claim";
  public static final String FINISH = "db.jobs.finish";
  public static final String HEARTBEAT = "db.jobs.heartbeat";
  public static final String RESCUE = "db.jobs.rescue";
  public static final String CLEAN = "db.jobs.clean";
  public static final String DEPTH = "db.jobs.depth";

  /** Published (locally) by the database verticle when a NOTIFY says new jobs are due; the body is the kind. */
  public static final String WAKE = "jobs.wake";
  /** Published (locally) when any process asked to cancel a running job; the body is the job id. */
  public static final String CANCEL_RUNNING = "jobs.cancel";

  private JobRequests() {}

  public record Enqueue(String kind, JsonObject input, int priority, Optional<OffsetDateTime> runAt, int maxAttempts,
      long timeoutMs, Optional<String> idempotencyKey) {}

  /** {@code replayed}: the Idempotency-Key was seen before and this is the job it created then. */
  public record Enqueued(Job job, boolean replayed) {}

  public record EnqueueMany(List<Enqueue> jobs) {
    public EnqueueMany {
      jobs = List.copyOf(jobs);
    }
  }

  /** In the order they were sent. */
  public record EnqueuedMany(List<Enqueued> jobs) {
    public EnqueuedMany {
      jobs = List.copyOf(jobs);
    }
  }

  public record Get(long id) {}

  /** Newest first: jobs with an id below {@code before} (Long.MAX_VALUE for the first page). */
  public record ListJobs(Optional<String> status, Optional<String> kind, long before, int limit) {}

  public record Page(List<Job> jobs, Optional<Long> next) {
    public Page {
      jobs = List.copyOf(jobs);
    }
  }

  public record Cancel(long id) {}

  public record Claim(String owner, List<String> kinds, int limit, long leaseMs) {}

  /** A claimed job, with what a worker needs to run it; {@code attempt} also fences its outcome. */
  public record Claimed(long id, String kind, JsonObject input, int attempt, int maxAttempts, long timeoutMs) {
    Lease lease() {
      return new Lease(id, attempt);
    }
  }

  /** One claim of one job: the attempt tells this run's lease from an earlier or later run's. */
  public record Lease(long id, int attempt) {}

  public record ClaimedJobs(List<Claimed> jobs) {
    public ClaimedJobs {
      jobs = List.copyOf(jobs);
    }
  }

  /** Outcomes of runs, stored in one statement; only those still leased by {@code owner} are applied. */
  public record Finish(String owner, List<Outcome> outcomes) {
    public Finish {
      outcomes = List.copyOf(outcomes);
    }
  }

  /** The ids whose outcome was applied; the others had lost their lease (rescued elsewhere). */
  public record Applied(List<Long> ids) {
    public Applied {
      ids = List.copyOf(ids);
    }
  }

  public record Heartbeat(String owner, List<Lease> leases, long leaseMs) {
    public Heartbeat {
      leases = List.copyOf(leases);
    }
  }

  /** Of the renewed jobs, those someone asked to cancel; leases missing from {@code renewed} are lost. */
  public record Renewed(List<Lease> renewed, List<Long> cancelRequested) {
    public Renewed {
      renewed = List.copyOf(renewed);
      cancelRequested = List.copyOf(cancelRequested);
    }
  }

  public record Rescue() {}

  /** Jobs whose lease had expired: requeued, or failed when no attempts were left. */
  public record Rescued(List<Long> requeued, List<Long> failed) {
    public Rescued {
      requeued = List.copyOf(requeued);
      failed = List.copyOf(failed);
    }
  }

  public record Clean(long retentionMs, int batch) {}

  public record Cleaned(int deleted) {}

  public record Depth() {}

  public record DepthRow(String status, String kind, long count) {}

  public record Depths(List<DepthRow> rows) {
    public Depths {
      rows = List.copyOf(rows);
    }
  }
}
