package dev.gather.jobs.schedule;

import dev.gather.config.ScheduleConfig;
import dev.gather.jobs.handler.JobHandler;
import dev.gather.jobs.handler.JobHandlers;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the config check cannot know: whether a schedule's job kind exists in this process and accepts the input.
 * At start for {@code jobs.schedules} (a mistake stops gather, like any config mistake), and for API schedules
 * before they are stored.
 */
public final class ScheduleChecks {
  private ScheduleChecks() {}

  /** Every problem of the config schedules, each naming its key. */
  public static List<String> problems(Map<String, ScheduleConfig> schedules, JobHandlers handlers) {
    List<String> problems = new ArrayList<>();
    schedules.values().forEach(s -> problem("jobs.schedules." + s.name() + ".job", s, handlers)
        .ifPresent(problems::add));
    return problems;
  }

  /** {@code prefix}: how the message names the job object. */
  static Optional<String> problem(String prefix, ScheduleConfig schedule, JobHandlers handlers) {
    String kind = schedule.job().kind();
    Optional<JobHandler> handler = handlers.find(kind);
    if (handler.isEmpty()) {
      return Optional.of(prefix + ".kind = \"" + kind + "\": no such job kind; known kinds are "
          + String.join(", ", handlers.names()));
    }
    try {
      handler.get().validate(schedule.job().input());
      return Optional.empty();
    } catch (RuntimeException e) {
      // IllegalArgumentException is the handler's own wording; anything else is a check that broke on this input.
      return Optional.of(prefix + ".input: " + kind + " refuses it: " + e.getMessage());
    }
  }
}
