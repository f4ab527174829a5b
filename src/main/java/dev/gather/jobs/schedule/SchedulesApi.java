package dev.gather.jobs.schedule;

import dev.gather.config.ScheduleConfig;
import dev.gather.failure.Failure;
import dev.gather.failure.FailureKind;
import dev.gather.http.ApiError;
import dev.gather.http.RequestParams;
import dev.gather.jobs.handler.JobHandlers;
import dev.gather.jobs.queue.NulCharacters;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * {@code /jobs/schedules}: lists every schedule (config ones read-only, {@code "source": "config"}) with its next
 * runs, and creates, replaces and deletes API schedules, which live in the database for every replica. Any process
 * may serve it; the schedulers pick changes up within {@value Scheduler#RELOAD_MS} ms (this process's at once).
 */
public final class SchedulesApi {
  private static final String PREFIX = "schedule";

  private final ScheduleStore store;
  private final Map<String, Schedule> fromConfig = new TreeMap<>();
  private final JobHandlers handlers;
  private final Clock clock;

  public SchedulesApi(ScheduleStore store, Map<String, ScheduleConfig> configSchedules, JobHandlers handlers,
      Clock clock) {
    this.store = store;
    this.handlers = handlers;
    this.clock = clock;
    configSchedules.values().forEach(s -> fromConfig.put(s.name(), Schedule.of(s, StoredSchedule.CONFIG)));
  }

  /**
   * {@code GET /jobs/schedules}: every schedule, by name. Parsing up to 1,000 stored cron expressions and working
   * out their next runs is CPU work of up to a second: it runs on a worker thread, not on the event loop.
   */
  public void list(RoutingContext ctx) {
    store.all()
        .compose(rows -> ctx.vertx().executeBlocking(() -> listed(rows), false))
        .onSuccess(ctx::json)
        .onFailure(ctx::fail);
  }

  private JsonObject listed(List<StoredSchedule> rows) {
    Map<String, JsonObject> byName = new TreeMap<>();
    Map<String, StoredSchedule> states = new TreeMap<>();
    rows.forEach(row -> states.put(row.name(), row));
    fromConfig.values().forEach(s -> byName.put(s.name(), s.toJson(Optional.ofNullable(states.get(s.name())),
        clock.instant())));
    for (StoredSchedule row : rows) {
      if (row.source().equals(StoredSchedule.API) && !fromConfig.containsKey(row.name())) {
        stored(row).ifPresent(s -> byName.put(row.name(), s.toJson(Optional.of(row), clock.instant())));
      }
    }
    return new JsonObject().put("items", new JsonArray(new ArrayList<>(byName.values())));
  }

  /** {@code GET /jobs/schedules/{name}}. */
  public void get(RoutingContext ctx) {
    String name = ctx.pathParam("name");
    find(name).onSuccess(found -> ctx.json(found)).onFailure(ctx::fail);
  }

  /** {@code POST /jobs/schedules}: a new API schedule, {@code name} in the body; 201 with its Location. */
  public void create(RoutingContext ctx) {
    JsonObject body = RequestParams.jsonObject(ctx, "a schedule: name, cron or everyMs, and job", null).copy();
    if (!(body.remove("name") instanceof String name)) {
      throw ApiError.badRequest("name is required: the schedule's name, 1-100 letters, digits, '.', '-' or '_'");
    }
    refuseConfigName(name);
    checkedOffTheLoop(ctx, name, body).compose(schedule -> store.insert(name, schedule.toJson())
        .compose(inserted -> inserted.isPresent()
            ? Future.succeededFuture(new Checked<>(schedule, inserted.get()))
            : store.one(name).compose(existing -> Future.<Checked<StoredSchedule>>failedFuture(existing.isPresent()
                ? new Failure(FailureKind.CONFLICT, "a schedule named \"" + name + "\" exists; PUT /jobs/schedules/"
                    + name + " replaces it")
                : tooMany()))))
        .onSuccess(checked -> {
          ScheduleConfig schedule = checked.schedule();
          StoredSchedule row = checked.stored();
          changed(ctx, name);
          ctx.response().setStatusCode(201).putHeader("Location", location(name))
              .putHeader("Content-Type", "application/json")
              .end(Schedule.of(schedule, StoredSchedule.API).toJson(Optional.of(row), clock.instant()).toBuffer());
        })
        .onFailure(ctx::fail);
  }

  /** {@code PUT /jobs/schedules/{name}}: creates (201) or replaces (200) an API schedule. */
  public void put(RoutingContext ctx) {
    String name = ctx.pathParam("name");
    JsonObject body = RequestParams.jsonObject(ctx, "a schedule: cron or everyMs, and job", null).copy();
    Object named = body.remove("name");
    if (named != null && !name.equals(named)) {
      throw ApiError.badRequest("name is \"" + named + "\" but the path names \"" + name + "\"; leave name out of "
          + "the body (a schedule is renamed by creating the new one and deleting the old)");
    }
    refuseConfigName(name);
    checkedOffTheLoop(ctx, name, body).compose(schedule -> store.upsert(name, schedule.toJson())
        .compose(upserted -> upserted.isPresent() ? Future.succeededFuture(new Checked<>(schedule, upserted.get()))
            : store.one(name).compose(existing -> Future.<Checked<ScheduleStore.Upserted>>failedFuture(
                existing.isPresent() ? configOwned(name) : tooMany()))))
        .onSuccess(checked -> {
          ScheduleConfig schedule = checked.schedule();
          ScheduleStore.Upserted upserted = checked.stored();
          changed(ctx, name);
          ctx.response().setStatusCode(upserted.created() ? 201 : 200)
              .putHeader("Content-Type", "application/json");
          if (upserted.created()) {
            ctx.response().putHeader("Location", location(name));
          }
          ctx.response().end(Schedule.of(schedule, StoredSchedule.API)
              .toJson(Optional.of(upserted.schedule()), clock.instant()).toBuffer());
        })
        .onFailure(ctx::fail);
  }

  /** {@code DELETE /jobs/schedules/{name}}: 204; jobs it enqueued before stay. */
  public void delete(RoutingContext ctx) {
    String name = ctx.pathParam("name");
    refuseConfigName(name);
    store.delete(name)
        .compose(deleted -> deleted ? Future.succeededFuture()
            : store.one(name).compose(existing -> Future.failedFuture(existing.isPresent()
                ? configOwned(name) : notFound(name))))
        .onSuccess(done -> {
          changed(ctx, name);
          ctx.response().setStatusCode(204).end();
        })
        .onFailure(ctx::fail);
  }

  private Future<JsonObject> find(String name) {
    Schedule own = fromConfig.get(name);
    return store.one(name).compose(row -> {
      if (own != null) {
        return Future.succeededFuture(own.toJson(row, clock.instant()));
      }
      Optional<Schedule> stored = row.filter(r -> r.source().equals(StoredSchedule.API)).flatMap(this::stored);
      return stored.isPresent()
          ? Future.succeededFuture(stored.get().toJson(row, clock.instant()))
          : Future.failedFuture(notFound(name));
    });
  }

  private record Checked<T>(ScheduleConfig schedule, T stored) {}

  /**
   * {@link #checked(String, JsonObject)} on a worker thread: a cron expression is checked for ever running, which
   * takes cron-utils over a second for a date that never comes, and the kind's own input check is the kind's code.
   */
  private Future<ScheduleConfig> checkedOffTheLoop(RoutingContext ctx, String name, JsonObject body) {
    return ctx.vertx().executeBlocking(() -> checked(name, body), false);
  }

  /** The definition, checked as the config check does, plus what only a running process knows (the kind). */
  private ScheduleConfig checked(String name, JsonObject body) {
    List<String> problems = new ArrayList<>();
    ScheduleConfig schedule = ScheduleConfig.parse(PREFIX, name, body, problems);
    if (problems.isEmpty()) {
      ScheduleChecks.problem(PREFIX + ".job", schedule, handlers).ifPresent(problems::add);
    }
    if (problems.isEmpty() && NulCharacters.in(schedule.job().input())) {
      problems.add(PREFIX + ".job.input must not contain the NUL character (\\u0000): PostgreSQL's jsonb cannot "
          + "store it");
    }
    if (!problems.isEmpty()) {
      throw ApiError.badRequest(String.join("; ", problems));
    }
    return schedule;
  }

  private void refuseConfigName(String name) {
    if (fromConfig.containsKey(name)) {
      throw configOwned(name);
    }
  }

  private Optional<Schedule> stored(StoredSchedule row) {
    List<String> problems = new ArrayList<>();
    ScheduleConfig parsed = ScheduleConfig.parse(PREFIX, row.name(), row.definition().orElseThrow(), problems);
    return problems.isEmpty() ? Optional.of(Schedule.of(parsed, StoredSchedule.API)) : Optional.empty();
  }

  /** This process's scheduler re-reads the schedules at once; the other replicas' on their next reload. */
  private static void changed(RoutingContext ctx, String name) {
    ctx.vertx().eventBus().publish(Scheduler.CHANGED, name);
  }

  private static String location(String name) {
    return "/jobs/schedules/" + name;
  }

  private static Failure configOwned(String name) {
    return new Failure(FailureKind.CONFLICT, "schedule \"" + name + "\" is defined in the configuration "
        + "(jobs.schedules." + name + "); change it there, or pick another name for an API schedule");
  }

  private static Failure notFound(String name) {
    return new Failure(FailureKind.NOT_FOUND, "no schedule named \"" + name + "\"");
  }

  private static Failure tooMany() {
    return new Failure(FailureKind.CONFLICT, "there are already " + ScheduleStore.MAX_API_SCHEDULES
        + " API schedules, the most gather keeps; delete some first");
  }
}
