package dev.gather.jobs.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The writes are completed by hand, so every step is the test's own. */
class GroupCommitTest {
  private final List<List<String>> written = new ArrayList<>();
  private final List<Promise<Void>> inFlight = new ArrayList<>();
  private final GroupCommit<String> commit = new GroupCommit<>(3, batch -> {
    written.add(List.copyOf(batch));
    Promise<Void> done = Promise.promise();
    inFlight.add(done);
    return done.future();
  });

  private void finishWrite(int index) {
    inFlight.get(index).complete();
  }

  @Test
  void anItemOnAnIdleQueueIsWrittenAtOnce() {
    commit.add("a");
    assertEquals(List.of(List.of("a")), written);
  }

  @Test
  void itemsArrivingDuringAWriteGoTogetherInTheNext() {
    commit.add("a");
    commit.add("b");
    commit.add("c");
    assertEquals(1, written.size(), "one write at a time");
    finishWrite(0);
    assertEquals(List.of("b", "c"), written.get(1));
  }

  @Test
  void aBatchHoldsAtMostMaxBatchItems() {
    commit.add("a");
    List.of("b", "c", "d", "e").forEach(commit::add);
    finishWrite(0);
    assertEquals(List.of("b", "c", "d"), written.get(1));
    finishWrite(1);
    assertEquals(List.of("e"), written.get(2));
  }

  @Test
  void aFailedWriteDoesNotStopTheNext() {
    commit.add("a");
    commit.add("b");
    inFlight.get(0).fail("database down");
    assertEquals(List.of("b"), written.get(1));
  }

  @Test
  void unwrittenListsTheBatchInFlightThenTheWaiting() {
    commit.add("a");
    commit.add("b");
    assertEquals(List.of("a", "b"), commit.unwritten());
  }

  @Test
  void aBatchPutBackGoesFirstInTheNextWrite() {
    commit.add("a");
    commit.add("b");
    commit.retryFirst(List.of("a"));
    finishWrite(0);
    assertEquals(List.of("a", "b"), written.get(1));
  }

  @Test
  void idleCompletesOnceEverythingHandedInIsWritten() {
    commit.add("a");
    commit.add("b");
    Future<Void> idle = commit.idle();
    assertTrue(commit.awaitedIdle());
    finishWrite(0);
    assertFalse(idle.isComplete(), "b is still being written");
    finishWrite(1);
    assertTrue(idle.succeeded());
  }
}
