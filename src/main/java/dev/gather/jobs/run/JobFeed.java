package dev.gather.jobs.run;

import dev.gather.config.JobKindConfig;
import dev.gather.jobs.handler.CancelSignal;
import dev.gather.jobs.handler.JobContext;
import dev.gather.jobs.handler.JobHandler;
import dev.gather.jobs.handler.JobHandlers;
import dev.gather.jobs.handler.JobPool;
import dev.gather.jobs.handler.JobProgress;
import dev.gather.jobs.queue.Completer;
import dev.gather.jobs.queue.JobRequests;
import dev.gather.jobs.queue.JobStore;
import dev.gather.jobs.queue.LimitedClaims;
import dev.gather.jobs.queue.Outcome;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A lane's durable jobs: claims from the table for the idle runners plus a prefetch sized by recent run times
 * (see {@link #prefetch()}), one claim in flight at a time; cancels that arrive while a claim is on its way; the
 * leases of the jobs running and claimed ahead; timeouts, and abandoning runs that ignore theirs. What each run's
 * end writes back is the {@link OutcomePolicy}'s call. Single event loop only.
 */
final class JobFeed {
  private static final Logger LOG = LoggerFactory.getLogger(JobFeed.class);
  /** How long a run past its timeout may take to notice before its outcome is written without it. */
  private static final long ABANDON_AFTER_MS = 5000;
  private static final long PREFETCH_HORIZON_NANOS = 50_000_000;

  private final JobPool pool;
  private final Vertx vertx;
  private final Context eventLoop;
  private final JobStore store;
  private final Pool handlersPool;
  private final JobHandlers handlers;
  /** This pool's kinds without limits: claimed as they always were (claim.sql). */
  private final List<String> kinds;
  /** This pool's kinds with a concurrency or rate limit (jobs.kinds), sorted by name: claim_limited.sql. */
  private final List<JobKindConfig> limitedKinds;
  private final LimitedClaims limitedClaims;
  private final JobSettings settings;
  private final Completer completer;
  private final JobMetrics metrics;
  private final RunnerPool runners;
  private final OutcomePolicy policy;
  /** Compute calls wait for a runner: jobs claimed now would only wait too, so claim for idle runners only. */
  private final BooleanSupplier computeWaiting;
  /** Called once a claim's answer is handled: the lane dispatches (and sees whether it drained). */
  private final Runnable afterClaim;
  private final Deque<JobRequests.Claimed> prefetched = new ArrayDeque<>();
  private final Map<Long, JobRun> running = new HashMap<>();
  private final Set<Long> cancelledDuringClaim = new HashSet<>();
  private double averageRunNanos;
  private boolean fetching;
  private boolean moreDue = true;
  private boolean wokeWhileFetching;
  private boolean stopping;
  /** A look at the limited kinds once a partition full by its rate has room again; -1 when none is set. */
  private long recheckTimer = -1;

  private static final class JobRun extends Run {
    final JobRequests.Claimed claimed;
    /** What the handler reports; the heartbeat takes it to the row. */
    final JobProgress progress = new JobProgress();

    JobRun(JobRequests.Claimed claimed) {
      super(claimed.kind(), TimeUnit.MILLISECONDS.toNanos(claimed.timeoutMs()));
      this.claimed = claimed;
    }
  }

  JobFeed(JobPool pool, Vertx vertx, Context eventLoop, JobStore store, Pool handlersPool, JobHandlers handlers,
      LimitedClaims limitedClaims, JobSettings settings, Completer completer, JobMetrics metrics, RunnerPool runners,
      OutcomePolicy policy, BooleanSupplier computeWaiting, Runnable afterClaim) {
    this.pool = pool;
    this.vertx = vertx;
    this.eventLoop = eventLoop;
    this.store = store;
    this.handlersPool = handlersPool;
    this.handlers = handlers;
    List<String> all = handlers.names(pool);
    this.limitedKinds = settings.config().limitedKinds().stream().filter(kind -> all.contains(kind.kind())).toList();
    this.kinds = all.stream().filter(name -> limitedKinds.stream().noneMatch(kind -> kind.kind().equals(name))).toList();
    this.limitedClaims = limitedClaims;
    this.settings = settings;
    this.completer = completer;
    this.metrics = metrics;
    this.runners = runners;
    this.policy = policy;
    this.computeWaiting = computeWaiting;
    this.afterClaim = afterClaim;
  }

  /** New jobs may be due (a NOTIFY, the poll, a retry scheduled here): claim if there is room. */
  void wake() {
    moreDue = true;
    if (fetching) {
      wokeWhileFetching = true;
    } else {
      fetch();
    }
  }

  /**
   * How many jobs to hold beyond the idle runners: as many as the runners are expected to finish within
   * {@link #PREFETCH_HORIZON_NANOS}, judged by recent run times, up to jobs.prefetch. Trivial jobs get big claims
   * (few round trips per job); long jobs get none, so one process never sits on jobs another could run now.
   */
  private int prefetch() {
    if (averageRunNanos <= 0) {
      return Math.min(settings.prefetch(), settings.runners(pool)); // nothing measured yet: one more each
    }
    double expected = settings.runners(pool) * (double) PREFETCH_HORIZON_NANOS / averageRunNanos;
    return (int) Math.min(settings.prefetch(), Math.floor(expected));
  }

  /** Claims what the lane has room for, unless a claim is on its way or nothing is known to be due. */
  void fetch() {
    int want = runners.idle() + (computeWaiting.getAsBoolean() ? 0 : prefetch()) - prefetched.size();
    if (fetching || stopping || !moreDue || (kinds.isEmpty() && limitedKinds.isEmpty()) || want <= 0) {
      return;
    }
    fetching = true;
    wokeWhileFetching = false;
    claim(want)
        .onComplete(claimed -> {
          fetching = false;
          if (claimed.succeeded()) {
            List<JobRequests.Claimed> got = claimed.result();
            got.forEach(job -> metrics.attempt(job.kind()));
            if (stopping) {
              got.forEach(job -> completer.add(Outcome.released(job.id(), job.attempt())));
            } else {
              for (JobRequests.Claimed job : got) {
                if (cancelledDuringClaim.contains(job.id())) {
                  completer.add(Outcome.cancelled(job.id(), job.attempt(), OutcomePolicy.CANCELLED_BY_REQUEST));
                } else {
                  prefetched.add(job);
                }
              }
              moreDue = got.size() == want || wokeWhileFetching;
            }
          } else {
            // The database is down or slow: wait for the next poll or notification rather than spin.
            LOG.warn("could not claim {} jobs: {}", pool.label(), claimed.cause().getMessage());
            moreDue = false;
          }
          cancelledDuringClaim.clear();
          afterClaim.run();
        });
  }

  /**
   * A pool without limited kinds claims exactly as before limits existed: one claim.sql. With some, the limited
   * kinds go first (their claim is bounded by the limits, so they cannot crowd the plain kinds out), then the plain
   * kinds take the rest. Jobs the limited claim got are kept even if the plain claim then fails.
   */
  private Future<List<JobRequests.Claimed>> claim(int want) {
    if (limitedKinds.isEmpty()) {
      return store.claim(settings.owner(), kinds, want, settings.leaseMs());
    }
    // A limited claim that fails (its lock waited too long, the database refused it) leaves the plain kinds their
    // claim: they do not wait for the next poll because of the limited ones.
    Future<LimitedClaims.Result> limitedClaim = limitedClaims.claim(settings.owner(), limitedKinds, want,
        settings.leaseMs()).recover(e -> {
          if (kinds.isEmpty()) {
            return Future.failedFuture(e);
          }
          LOG.warn("could not claim {} jobs of limited kinds: {}", pool.label(), e.getMessage());
          return Future.succeededFuture(new LimitedClaims.Result(List.of(), OptionalLong.empty()));
        });
    return limitedClaim.compose(limited -> {
      limited.recheckMs().ifPresent(this::recheckIn);
      int rest = want - limited.jobs().size();
      if (kinds.isEmpty() || rest <= 0) {
        return Future.succeededFuture(limited.jobs());
      }
      return store.claim(settings.owner(), kinds, rest, settings.leaseMs())
          .map(plain -> {
            List<JobRequests.Claimed> both = new ArrayList<>(limited.jobs());
            both.addAll(plain);
            return (List<JobRequests.Claimed>) both;
          })
          .recover(e -> limited.jobs().isEmpty() ? Future.failedFuture(e) : Future.succeededFuture(limited.jobs()));
    });
  }

  /** Some partition is full by its rate until {@code ms} from now: look again then, not only at the next poll. */
  private void recheckIn(long ms) {
    if (recheckTimer == -1 && !stopping) {
      recheckTimer = vertx.setTimer(Math.max(1, ms), t -> {
        recheckTimer = -1;
        wake();
      });
    }
  }

  /** Whether a run of this pool ending frees a slot that a queued job may be waiting for (a concurrency limit). */
  boolean hasConcurrencyLimits() {
    return limitedKinds.stream().anyMatch(kind -> kind.concurrency().isPresent());
  }

  boolean hasPrefetched() {
    return !prefetched.isEmpty();
  }

  int prefetchedCount() {
    return prefetched.size();
  }

  int runningCount() {
    return running.size();
  }

  /** Starts the next job claimed ahead; the caller checked that a runner is idle. */
  void startNext() {
    JobRequests.Claimed job = prefetched.poll();
    JobHandler handler = handlers.find(job.kind()).orElseThrow();
    JobRun run = new JobRun(job);
    JobRun earlier = running.put(job.id(), run);
    if (earlier != null) {
      // This process's own earlier run of the job lost its lease (rescued) and is still going: it is stale now.
      earlier.signal.raise(CancelSignal.Why.LEASE_LOST, "the job's lease expired and it was claimed again");
    }
    run.timer = vertx.setTimer(job.timeoutMs(), t -> {
      run.signal.raise(CancelSignal.Why.TIMEOUT, "timed out after " + job.timeoutMs() + " ms");
      run.timer = vertx.setTimer(ABANDON_AFTER_MS, later -> abandon(run));
    });
    JobContext context = new JobContext(job.input(), OptionalLong.of(job.id()), job.attempt(), run.signal, eventLoop,
        handlersPool, settings.filesDir(), run.progress);
    runners.send(run, new RunOrder(handler, context, settings.maxResultBytes()), result -> done(run, result));
  }

  /**
   * A run that ignored its timeout for {@link #ABANDON_AFTER_MS} more: write the timeout as its outcome and stop
   * renewing its lease, so the job is retried (or fails) instead of staying 'running' for as long as the handler
   * hangs. The worker thread stays busy until the handler returns; the pool's busy gauge shows it.
   */
  private void abandon(JobRun run) {
    JobRequests.Claimed job = run.claimed;
    if (!running.remove(job.id(), run)) {
      return;
    }
    run.abandoned = true;
    LOG.warn("job {} ({}) ignored its timeout of {} ms; its outcome is written without it and a {} worker stays busy "
        + "until it returns", job.id(), job.kind(), job.timeoutMs(), pool.label());
    apply(job, policy.abandoned(job, run.signal.detail()), System.nanoTime() - run.started);
  }

  private void done(JobRun run, RunResult result) {
    if (run.abandoned) {
      return;
    }
    JobRequests.Claimed job = run.claimed;
    running.remove(job.id(), run);
    long nanos = System.nanoTime() - run.started;
    averageRunNanos = Run.averaged(averageRunNanos, nanos);
    OutcomePolicy.Verdict verdict = policy.decide(run.signal.why(), run.signal.detail(), result, job);
    JobProgress.Report last = run.progress.take();
    apply(job, last == null ? verdict : verdict.withProgress(last.percent(), last.message()), nanos);
  }

  private void apply(JobRequests.Claimed job, OutcomePolicy.Verdict verdict, long nanos) {
    if (verdict.failureReason() != null) {
      metrics.failure(job.kind(), verdict.failureReason());
    }
    metrics.run("job", job.kind(), verdict.label(), nanos);
    // A retry or snooze is due after its delay; the completer wakes this process then, once it is written.
    verdict.outcome().ifPresent(completer::add);
  }

  /** A DELETE /jobs/{id} reached this process: stop the job if it is here. */
  void cancel(long id) {
    JobRun run = running.get(id);
    if (run != null) {
      run.signal.raise(CancelSignal.Why.CANCELLED, OutcomePolicy.CANCELLED_BY_REQUEST);
      return;
    }
    if (fetching) {
      cancelledDuringClaim.add(id); // it may be in the claim whose answer is on its way
    }
    prefetched.removeIf(job -> {
      if (job.id() == id) {
        completer.add(Outcome.cancelled(job.id(), job.attempt(), OutcomePolicy.CANCELLED_BY_REQUEST));
        return true;
      }
      return false;
    });
  }

  /** Every lease held here: jobs running (even past their timeout, until abandoned) and claimed ahead. */
  void held(List<JobRequests.Lease> into) {
    running.values().forEach(run -> into.add(run.claimed.lease()));
    prefetched.forEach(job -> into.add(job.lease()));
  }

  /** Adds the progress the running jobs reported since the last heartbeat, which takes it to the rows. */
  void progress(Map<JobRequests.Lease, JobRequests.Reported> into) {
    running.values().forEach(run -> {
      JobProgress.Report report = run.progress.take();
      if (report != null) {
        into.put(run.claimed.lease(), new JobRequests.Reported(run.claimed.lease(), report.percent(), report.message()));
      }
    });
  }

  /** The heartbeat that carried these reports failed: they go with the next one, unless newer ones came. */
  void progressNotWritten(Map<JobRequests.Lease, JobRequests.Reported> reports) {
    running.values().forEach(run -> {
      JobRequests.Reported report = reports.get(run.claimed.lease());
      if (report != null) {
        run.progress.unsent(new JobProgress.Report(report.percent(), report.message()));
      }
    });
  }

  /** The heartbeat found these leases no longer ours (rescued after a long pause): drop them. */
  void leaseLost(Set<JobRequests.Lease> lost) {
    running.values().stream().filter(run -> lost.contains(run.claimed.lease())).forEach(run ->
        run.signal.raise(CancelSignal.Why.LEASE_LOST, "the job's lease expired and it was rescued elsewhere"));
    prefetched.removeIf(job -> lost.contains(job.lease()));
  }

  /** Adds the jobs running now, for {@link RunnerWait}. */
  void inFlight(List<RunnerWait.InFlight> into) {
    running.values().forEach(run -> into.add(run.inFlight(averageRunNanos)));
  }

  /** Nothing runs, and no claim is on its way whose jobs would then need handing back. */
  boolean idle() {
    return running.isEmpty() && !fetching;
  }

  /** Claims no more and hands back the jobs claimed ahead, at once and without spending their attempt. */
  void stop() {
    stopping = true;
    vertx.cancelTimer(recheckTimer);
    prefetched.forEach(job -> completer.add(Outcome.released(job.id(), job.attempt())));
    prefetched.clear();
  }

  /** Asks the jobs still running to stop. */
  void askToStop() {
    running.values().forEach(run -> run.signal.raise(CancelSignal.Why.STOPPING, "gather is stopping"));
  }

  /** Hands back the jobs that still run (their later outcome is ignored) for another process to redo. */
  void handBack() {
    running.values().forEach(run -> {
      run.abandoned = true;
      completer.add(Outcome.released(run.claimed.id(), run.claimed.attempt()));
    });
    running.clear();
  }
}
