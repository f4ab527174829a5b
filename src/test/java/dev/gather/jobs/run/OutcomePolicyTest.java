package dev.gather.jobs.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gather.jobs.handler.CancelSignal;
import dev.gather.jobs.handler.CancelSignal.Why;
import dev.gather.jobs.handler.JobContext;
import dev.gather.jobs.handler.JobSnoozedException;
import dev.gather.jobs.handler.PermanentJobFailure;
import dev.gather.jobs.queue.JobRequests;
import dev.gather.jobs.queue.JobStatus;
import dev.gather.jobs.queue.Outcome;
import io.vertx.core.json.JsonObject;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** What a run's end writes back: the policy alone, with a retry delay of attempt × 1000 ms. */
class OutcomePolicyTest {
  private static final OutcomePolicy POLICY = new OutcomePolicy(attempt -> attempt * 1000L);
  private static final JsonObject RESULT = new JsonObject().put("sum", 3);
  private static final RunResult SUCCEEDED = new RunResult(RESULT, null);
  private static final RunResult THREW = new RunResult(null, new IllegalStateException("upstream said no"));

  /** Job 7, this attempt of at most 3. */
  private static JobRequests.Claimed job(int attempt) {
    return new JobRequests.Claimed(7, "cpu.sum", new JsonObject(), attempt, 3, 1000);
  }

  private static Outcome outcome(OutcomePolicy.Verdict verdict) {
    return verdict.outcome().orElseThrow();
  }

  @Test
  void aRunThatReturnsSucceedsWithItsResult() {
    OutcomePolicy.Verdict verdict = POLICY.decide(null, null, SUCCEEDED, job(2));
    assertEquals(Outcome.succeeded(7, 2, RESULT), outcome(verdict));
    assertEquals("succeeded", verdict.label());
    assertNull(verdict.failureReason());
    assertFalse(verdict.retries());
  }

  @Test
  void aRunWithAttemptsLeftIsRetriedAfterTheBackoffOfItsAttempt() {
    OutcomePolicy.Verdict verdict = POLICY.decide(null, null, THREW, job(2));
    assertEquals(Outcome.retry(7, 2, "upstream said no", 2000), outcome(verdict));
    assertEquals("retried", verdict.label());
    assertEquals("error", verdict.failureReason());
    assertTrue(verdict.retries());
  }

  @Test
  void aRunOnItsLastAttemptFails() {
    OutcomePolicy.Verdict verdict = POLICY.decide(null, null, THREW, job(3));
    assertEquals(Outcome.failed(7, 3, "upstream said no"), outcome(verdict));
    assertEquals("failed", verdict.label());
    assertEquals("error", verdict.failureReason());
    assertFalse(verdict.retries());
  }

  @Test
  void aPermanentFailureFailsWithAttemptsLeft() {
    RunResult permanent = new RunResult(null, new PermanentJobFailure("no such user"));
    OutcomePolicy.Verdict verdict = POLICY.decide(null, null, permanent, job(1));
    assertEquals(Outcome.failed(7, 1, "no such user"), outcome(verdict));
    assertEquals("permanent", verdict.failureReason());
  }

  @Test
  void aTimedOutRunFailsWithTheTimeoutEvenIfItReturnedAResult() {
    OutcomePolicy.Verdict verdict = POLICY.decide(Why.TIMEOUT, "timed out after 1000 ms", SUCCEEDED, job(1));
    assertEquals(Outcome.retry(7, 1, "timed out after 1000 ms", 1000), outcome(verdict));
    assertEquals("timeout", verdict.failureReason());
    assertEquals("retried", verdict.label());
  }

  @Test
  void aTimeoutThatThrewAPermanentFailureIsStillATimeoutAndRetried() {
    RunResult permanent = new RunResult(null, new PermanentJobFailure("cancelled"));
    OutcomePolicy.Verdict verdict = POLICY.decide(Why.TIMEOUT, "timed out after 1000 ms", permanent, job(1));
    assertEquals(JobStatus.QUEUED, outcome(verdict).status());
    assertEquals("timeout", verdict.failureReason());
  }

  @Test
  void aCancelledRunThatThrewEndsCancelled() {
    OutcomePolicy.Verdict verdict = POLICY.decide(Why.CANCELLED, "cancelled by request", THREW, job(1));
    assertEquals(Outcome.cancelled(7, 1, "cancelled by request"), outcome(verdict));
    assertEquals("cancelled", verdict.label());
    assertNull(verdict.failureReason());
  }

  @Test
  void aCancelledRunThatReturnedKeepsItsResult() {
    assertEquals(Outcome.succeeded(7, 1, RESULT), outcome(POLICY.decide(Why.CANCELLED, "cancelled by request", SUCCEEDED, job(1))));
  }

  @Test
  void aRunStoppedByShutdownIsReleasedWithoutSpendingItsAttempt() {
    OutcomePolicy.Verdict verdict = POLICY.decide(Why.STOPPING, "gather is stopping", THREW, job(3));
    assertEquals(Outcome.released(7, 3), outcome(verdict));
    assertTrue(outcome(verdict).released());
    assertEquals("released", verdict.label());
    assertFalse(verdict.retries());
  }

  @Test
  void aRunThatLostItsLeaseWritesNothing() {
    OutcomePolicy.Verdict verdict = POLICY.decide(Why.LEASE_LOST, "rescued elsewhere", SUCCEEDED, job(1));
    assertTrue(verdict.outcome().isEmpty());
    assertEquals("lease_lost", verdict.label());
  }

  @Test
  void anAbandonedRunCountsAsATimeoutThatDidNotStop() {
    OutcomePolicy.Verdict verdict = POLICY.abandoned(job(1), "timed out after 1000 ms");
    assertEquals(Outcome.retry(7, 1, "timed out after 1000 ms; the handler did not stop", 1000), outcome(verdict));
    assertEquals("abandoned", verdict.label());
    assertEquals("timeout", verdict.failureReason());
  }

  @Test
  void anAbandonedRunOnItsLastAttemptFails() {
    assertEquals(JobStatus.FAILED, outcome(POLICY.abandoned(job(3), "timed out after 1000 ms")).status());
  }

  // ---- snooze ----

  private static final OutcomePolicy TWO_SNOOZES = new OutcomePolicy(attempt -> attempt * 1000L, 2);

  /** What a handler's {@code context.snooze(ms)} throws, caught as the runner would. */
  private static RunResult snoozed(long ms) {
    JobContext context = new JobContext(new JsonObject(), OptionalLong.of(7), 1, new CancelSignal(), null, null, null);
    try {
      context.snooze(ms);
      throw new AssertionError("snooze returned");
    } catch (JobSnoozedException e) {
      return new RunResult(null, e);
    }
  }

  private static JobRequests.Claimed job(int attempt, int snoozes) {
    return new JobRequests.Claimed(7, "cpu.sum", new JsonObject(), attempt, 3, 1000, snoozes);
  }

  @Test
  void aSnoozeGoesBackToTheQueueForItsDelayWithoutSpendingTheAttempt() {
    OutcomePolicy.Verdict verdict = TWO_SNOOZES.decide(null, null, snoozed(500), job(1, 1));
    assertEquals(Outcome.snoozed(7, 1, 500), outcome(verdict));
    assertEquals("snoozed", verdict.label());
    assertNull(verdict.failureReason());
  }

  @Test
  void aSnoozePastMaxSnoozesSpendsTheAttemptAndIsRetriedAfterItsDelay() {
    OutcomePolicy.Verdict verdict = TWO_SNOOZES.decide(null, null, snoozed(500), job(1, 2));
    Outcome outcome = outcome(verdict);
    assertEquals(JobStatus.QUEUED, outcome.status());
    assertFalse(outcome.snoozed());
    assertEquals(500, outcome.delayMs());
    assertTrue(outcome.error().contains("jobs.maxSnoozes (2)"), outcome.error());
    assertEquals("snoozes", verdict.failureReason());
  }

  @Test
  void aSnoozePastMaxSnoozesOnTheLastAttemptFails() {
    Outcome outcome = outcome(TWO_SNOOZES.decide(null, null, snoozed(500), job(3, 2)));
    assertEquals(JobStatus.FAILED, outcome.status());
  }

  @Test
  void aCancelledRunThatSnoozesEndsCancelled() {
    assertEquals(JobStatus.CANCELLED, outcome(TWO_SNOOZES.decide(Why.CANCELLED, "cancelled by request", snoozed(500),
        job(1, 0))).status());
  }

  @Test
  void aTimedOutRunThatSnoozesIsATimeout() {
    OutcomePolicy.Verdict verdict = TWO_SNOOZES.decide(Why.TIMEOUT, "timed out after 1000 ms", snoozed(500), job(1, 0));
    assertEquals("timeout", verdict.failureReason());
    assertFalse(outcome(verdict).snoozed());
  }

  @Test
  void snoozeRefusesADelayOutOfRangeAndAComputeCall() {
    JobContext job = new JobContext(new JsonObject(), OptionalLong.of(7), 1, new CancelSignal(), null, null, null);
    assertThrows(IllegalArgumentException.class, () -> job.snooze(-1));
    assertThrows(IllegalArgumentException.class, () -> job.snooze(JobContext.MAX_SNOOZE_MS + 1));
    JobContext compute = new JobContext(new JsonObject(), OptionalLong.empty(), 1, new CancelSignal(), null, null, null);
    assertThrows(PermanentJobFailure.class, () -> compute.snooze(10));
  }
}
