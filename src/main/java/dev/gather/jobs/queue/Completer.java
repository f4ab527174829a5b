package dev.gather.jobs.queue;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes run outcomes back with a {@link GroupCommit}: under load one UPDATE for many jobs; when idle, each outcome
 * at once. If the database is down the outcomes wait and are retried; should this process die meanwhile, the
 * rescuer requeues the jobs (at-least-once).
 */
public final class Completer {
  private static final Logger LOG = LoggerFactory.getLogger(Completer.class);
  /** Small enough that one statement stays well inside db.queryTimeoutMs even on a table without statistics. */
  private static final int MAX_BATCH = 500;
  private static final long RETRY_MS = 1000;
  private static final long STOP_RETRY_MS = 200;
  private static final int STOP_TRIES = 3;

  private final Vertx vertx;
  private final JobStore store;
  private final String owner;
  private final GroupCommit<Outcome> outcomes = new GroupCommit<>(MAX_BATCH, this::write);
  private int triesWhileStopping;
  private Runnable afterWrite = () -> { };

  public Completer(Vertx vertx, JobStore store, String owner) {
    this.vertx = vertx;
    this.store = store;
    this.owner = owner;
  }

  /**
   * Runs after each batch of outcomes is stored: the moment their jobs stop counting against a concurrency limit
   * (jobs.kinds), so that queued jobs of such a kind can be claimed at once. Nothing is set when no kind has one.
   */
  public void onWritten(Runnable afterWrite) {
    this.afterWrite = afterWrite;
  }

  public void add(Outcome outcome) {
    outcomes.add(outcome);
  }

  /**
   * The jobs whose outcome is not stored yet. They are still 'running' in the table, so their leases must go on
   * being renewed until it is; otherwise a slow database would get them rescued and run a second time.
   */
  public List<JobRequests.Lease> unwritten() {
    return outcomes.unwritten().stream().map(o -> new JobRequests.Lease(o.id(), o.attempt())).toList();
  }

  /** Completes once every outcome handed in so far is written (or could not be, after a few more tries). */
  public Future<Void> idle() {
    return outcomes.idle();
  }

  /**
   * Retries and snoozes are due after their delay, counted from now that they are written: a wake set when the run
   * ended could fire before the row is back in the queue, and then nothing would look until the next poll.
   */
  private void wakeWhenDue(List<Outcome> batch) {
    batch.stream()
        .filter(o -> o.requeued() && o.delayMs() > 0)
        .mapToLong(Outcome::delayMs)
        .distinct()
        .forEach(delayMs -> vertx.setTimer(delayMs + 1, t -> vertx.eventBus().publish(JobRequests.WAKE, "")));
  }

  private Future<?> write(List<Outcome> batch) {
    return store.finish(owner, batch)
        .onSuccess(applied -> {
          wakeWhenDue(batch);
          if (applied.size() < batch.size()) {
            LOG.info("{} of {} job outcomes not applied: their lease had expired and they were rescued",
                batch.size() - applied.size(), batch.size());
          }
          afterWrite.run();
        })
        .recover(e -> {
          if (outcomes.awaitedIdle() && ++triesWhileStopping > STOP_TRIES) {
            // Stopping, and the database still refuses: give up rather than hold the shutdown. Nothing is lost
            // for good: these jobs are still 'running', and their leases run out and get them rescued.
            List<Long> abandoned = new java.util.ArrayList<>(batch.stream().map(Outcome::id).toList());
            outcomes.dropPending().forEach(o -> abandoned.add(o.id()));
            LOG.warn("giving up on the outcomes of jobs {}; they will be rescued when their leases expire", abandoned);
            return Future.succeededFuture();
          }
          LOG.warn("could not store {} job outcomes ({}); retrying in {} ms", batch.size(), e.getMessage(), RETRY_MS);
          long delayMs = outcomes.awaitedIdle() ? STOP_RETRY_MS : RETRY_MS;
          return vertx.timer(delayMs).map(t -> {
            outcomes.retryFirst(batch);
            return null;
          });
        });
  }
}
