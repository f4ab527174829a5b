package dev.gather.jobs.events;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.gather.jobs.queue.Job;
import io.vertx.core.json.JsonObject;
import java.time.OffsetDateTime;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What a watcher is told between two snapshots of a job: the diff alone, no database. */
class JobEventsTest {
  private static final OffsetDateTime T = OffsetDateTime.parse("2026-01-01T00:00:00Z");

  private static Job job(String status, int attempts, Job.Progress progress) {
    boolean finished = status.equals("succeeded");
    return new Job(1, "sleep", new JsonObject(), status, 0, T, attempts, 3, 1000, null, "w", false, 0,
        finished ? new JsonObject().put("ok", true) : null, null, T, T, finished ? T : null, progress, 0);
  }

  private static List<String> names(List<JobEvent> events) {
    return events.stream().map(JobEvent::name).toList();
  }

  @Test
  void aFirstLookShowsTheStateThenTheProgress() {
    assertEquals(List.of("state", "progress"), names(JobEvents.between(null, job("running", 1, new Job.Progress(5, "a")))));
  }

  @Test
  void aFirstLookAtAFinishedJobShowsItsStateThenItsResult() {
    List<JobEvent> events = JobEvents.between(null, job("succeeded", 1, null));
    assertEquals(List.of("state", "result"), names(events));
    assertEquals(new JsonObject().put("ok", true), events.get(1).data().getJsonObject("result"));
  }

  @Test
  void nothingChangedTellsNothing() {
    Job running = job("running", 1, new Job.Progress(5, "a"));
    assertEquals(List.of(), JobEvents.between(running, job("running", 1, new Job.Progress(5, "a"))));
  }

  @Test
  void onlyProgressMovedTellsOnlyProgress() {
    List<JobEvent> events = JobEvents.between(job("running", 1, new Job.Progress(5, "a")),
        job("running", 1, new Job.Progress(60, "b")));
    assertEquals(List.of("progress"), names(events));
    assertEquals(new JsonObject().put("percent", 60).put("message", "b").put("id", 1L), events.get(0).data());
  }

  @Test
  void anotherAttemptIsAStateEventEvenWhenTheStatusLooksTheSame() {
    assertEquals(List.of("state"), names(JobEvents.between(job("running", 1, null), job("running", 2, null))));
  }

  @Test
  void theEndIsTheLastProgressThenTheStateThenTheResultAndIsToldOnce() {
    Job done = job("succeeded", 1, new Job.Progress(90, "c"));
    assertEquals(List.of("progress", "state", "result"),
        names(JobEvents.between(job("running", 1, new Job.Progress(50, "b")), done)));
    assertEquals(List.of(), JobEvents.between(done, job("succeeded", 1, new Job.Progress(90, "c"))));
  }
}
