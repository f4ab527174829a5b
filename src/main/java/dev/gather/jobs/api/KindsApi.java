package dev.gather.jobs.api;

import dev.gather.config.JobKindConfig;
import dev.gather.config.JobsConfig;
import dev.gather.jobs.handler.JobHandler;
import dev.gather.jobs.handler.JobHandlers;
import dev.gather.jobs.queue.JobStatus;
import dev.gather.jobs.queue.KindStore;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * {@code /jobs/kinds}: each job kind's queue (jobs per status), whether it is paused, and its limits; pause and
 * resume a kind for every gather on the database. Limits are this gather's jobs.kinds (every replica should have the
 * same); the pause is stored in the database.
 */
public final class KindsApi {
  private final KindStore store;
  private final JobHandlers handlers;
  private final JobsConfig config;

  public KindsApi(KindStore store, JobHandlers handlers, JobsConfig config) {
    this.store = store;
    this.handlers = handlers;
    this.config = config;
  }

  /** Every kind this gather runs, and any other kind that has jobs or is paused, by name. */
  public void list(RoutingContext ctx) {
    store.all()
        .onSuccess(states -> {
          TreeSet<String> names = new TreeSet<>(handlers.names());
          names.addAll(states.keySet());
          JsonArray items = new JsonArray();
          names.forEach(kind -> items.add(toJson(kind, Optional.ofNullable(states.get(kind)))));
          ctx.json(new JsonObject().put("items", items));
        })
        .onFailure(ctx::fail);
  }

  /** Idempotent: pausing a paused kind answers it as it is (with the time it was first paused). */
  public void pause(RoutingContext ctx) {
    String kind = knownKind(ctx);
    store.pause(kind).compose(paused -> store.one(kind))
        .onSuccess(state -> ctx.json(toJson(kind, Optional.of(state))))
        .onFailure(ctx::fail);
  }

  public void resume(RoutingContext ctx) {
    String kind = knownKind(ctx);
    store.resume(kind).compose(resumed -> store.one(kind))
        .onSuccess(state -> ctx.json(toJson(kind, Optional.of(state))))
        .onFailure(ctx::fail);
  }

  /** Only kinds some gather can run: the table of paused kinds stays as small as the list of kinds. */
  private String knownKind(RoutingContext ctx) {
    return JobInputs.handler(handlers, ctx.pathParam("kind"), 404).name();
  }

  private JsonObject toJson(String kind, Optional<KindStore.KindState> state) {
    JsonObject counts = new JsonObject();
    Map<String, Long> stored = state.map(KindStore.KindState::counts).orElse(Map.of());
    JobStatus.ALL.forEach(status -> counts.put(status, stored.getOrDefault(status, 0L)));
    Optional<JobKindConfig> limits = Optional.ofNullable(config.kinds().get(kind));
    JsonObject json = new JsonObject()
        .put("kind", kind)
        .put("pool", handlers.find(kind).map(JobHandler::pool).map(pool -> pool.label()).orElse(null))
        .put("paused", state.flatMap(KindStore.KindState::pausedAt).isPresent())
        .put("pausedAt", state.flatMap(KindStore.KindState::pausedAt).map(Object::toString).orElse(null))
        .put("counts", counts);
    json.put("limits", new JsonObject()
        .put("concurrency", limits.flatMap(JobKindConfig::concurrency).map(c -> new JsonObject()
            .put("limit", c.limit()).put("by", c.byField().map(field -> "input." + field).orElse(null))).orElse(null))
        .put("rate", limits.flatMap(JobKindConfig::rate).map(r -> new JsonObject()
            .put("limit", r.limit()).put("periodMs", r.periodMs())
            .put("by", r.byField().map(field -> "input." + field).orElse(null))).orElse(null)));
    return json;
  }
}
