package dev.gather.jobs.api;

import dev.gather.config.Integers;
import dev.gather.config.JobsConfig;
import dev.gather.http.ApiError;
import dev.gather.http.Pages;
import dev.gather.http.RequestParams;
import dev.gather.jobs.files.JobFiles;
import dev.gather.jobs.events.JobWatchers;
import dev.gather.jobs.handler.JobHandler;
import dev.gather.jobs.handler.JobHandlers;
import dev.gather.jobs.queue.Job;
import dev.gather.jobs.queue.JobRequests;
import dev.gather.jobs.queue.JobStatus;
import dev.gather.jobs.queue.JobStore;
import dev.gather.jobs.queue.NulCharacters;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The {@code /jobs} endpoints: enqueue, read, list and cancel durable jobs, and serve the files they wrote. Any
 * process may serve them.
 */
public final class JobsApi {
  static final int DEFAULT_LIMIT = 50;
  static final int MAX_LIMIT = 500;
  private static final Set<String> FIELDS = Set.of("kind", "input", "priority", "runAt", "maxAttempts", "timeoutMs", "unique");
  private static final int MAX_PRIORITY = 1000;
  static final int MAX_BATCH = JobStore.MAX_ENQUEUE_BATCH;
  private static final Pattern IDEMPOTENCY_KEY = Pattern.compile("[\\x21-\\x7e]{1,255}");

  private final JobStore store;
  private final JobHandlers handlers;
  private final JobsConfig defaults;
  private final JobFileApi files;
  private final Vertx vertx;
  private final JobWatchers watchers;

  public JobsApi(Vertx vertx, JobStore store, JobWatchers watchers, JobHandlers handlers, JobsConfig defaults) {
    this.vertx = vertx;
    this.store = store;
    this.watchers = watchers;
    this.handlers = handlers;
    this.defaults = defaults;
    this.files = new JobFileApi(store, new JobFiles(defaults.filesDir()));
  }

  /**
   * 202 with the queued job; 200 with the job that already held the unique key. With {@code Prefer: wait=N} the answer
   * waits up to N seconds (at most jobs.maxWaitMs) for the job to end: 200 with the finished job when it does, else
   * the usual answer with the job as it is then; Preference-Applied says how long was waited for. When this process
   * already follows jobs.maxWatchers jobs, it answers at once without waiting (and without Preference-Applied).
   */
  public void enqueue(RoutingContext ctx) {
    OptionalLong wait = PreferWait.seconds(ctx.request(), defaults.maxWaitMs() / 1000);
    // The wait counts from here, not from when the insert and the watch are done: jobs.maxWaitMs is below
    // http.requestTimeoutMs, and a slow database must not push the answer past the request's timeout.
    long waitUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(wait.orElse(0));
    JobRequests.Enqueue request = enqueueRequest(ctx);
    store.enqueue(request)
        .onSuccess(enqueued -> {
          if (wait.isEmpty() || wait.getAsLong() == 0 || enqueued.job().finished()) {
            answer(ctx, enqueued, enqueued.job(), OptionalLong.empty());
            return;
          }
          awaitEnd(ctx, enqueued.job().id(), waitUntil)
              .onSuccess(job -> answer(ctx, enqueued, job, wait))
              .onFailure(busy -> answer(ctx, enqueued, enqueued.job(), OptionalLong.empty()));
        })
        .onFailure(ctx::fail);
  }

  /** The job once it has finished, or as it is at {@code until} (nano time); fails only when no watch could be had. */
  private Future<Job> awaitEnd(RoutingContext ctx, long id, long until) {
    return watchers.watch(id).compose(watch -> {
      Promise<Job> ended = Promise.promise();
      long leftMs = Math.max(1, TimeUnit.NANOSECONDS.toMillis(until - System.nanoTime()));
      long timer = vertx.setTimer(leftMs, t -> ended.tryComplete(watch.job()));
      ctx.response().closeHandler(closed -> ended.tryComplete(watch.job()));
      watch.listen(events -> {
        if (watch.job().finished()) {
          ended.tryComplete(watch.job());
        }
      }, () -> ended.tryComplete(watch.job()));
      return ended.future().andThen(done -> {
        vertx.cancelTimer(timer);
        watch.close();
      });
    });
  }

  private static void answer(RoutingContext ctx, JobRequests.Enqueued enqueued, Job job, OptionalLong waited) {
    // Closed by the client, or already answered (the request's timeout): nothing more to write.
    if (ctx.response().closed() || ctx.response().ended()) {
      return;
    }
    if (enqueued.replayed()) {
      ctx.response().putHeader("Idempotent-Replayed", "true");
    }
    waited.ifPresent(seconds -> ctx.response().putHeader("Preference-Applied", "wait=" + seconds));
    // 200, not 202: the job has finished (a wait saw it end), or nothing was queued (another job held the unique key).
    ctx.response()
        .setStatusCode(enqueued.duplicate() || (waited.isPresent() && job.finished()) ? 200 : 202)
        .putHeader("Location", "/jobs/" + job.id())
        .putHeader("Content-Type", "application/json")
        .end(job.toJson().toBuffer());
  }

  public void get(RoutingContext ctx) {
    store.get(RequestParams.pathId(ctx))
        .onSuccess(job -> ctx.json(job.toJson()))
        .onFailure(ctx::fail);
  }

  /** {@code GET /jobs/{id}/file}: what a succeeded file-writing job wrote (see {@link JobFileApi}). */
  public void file(RoutingContext ctx) {
    files.get(ctx);
  }

  /** Newest first, keyset-paged with {@code before}. */
  public void list(RoutingContext ctx) {
    Optional<String> status = Optional.ofNullable(ctx.queryParams().get("status"));
    if (status.isPresent() && !JobStatus.ALL.contains(status.get())) {
      throw ApiError.badRequest("status must be one of " + String.join(", ", JobStatus.ALL) + ", got \"" + status.get() + "\"");
    }
    Optional<String> kind = Optional.ofNullable(ctx.queryParams().get("kind"));
    int limit = (int) RequestParams.queryNumber(ctx, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT);
    long before = RequestParams.queryNumber(ctx, "before", Long.MAX_VALUE, 1, Long.MAX_VALUE);
    String filters = status.map(s -> "&status=" + s).orElse("")
        + kind.map(k -> "&kind=" + URLEncoder.encode(k, StandardCharsets.UTF_8)).orElse("");
    store.list(status, kind, before, limit)
        .onSuccess(page -> Pages.send(ctx, page, Job::toJson,
            next -> "/jobs?limit=" + limit + filters + "&before=" + next))
        .onFailure(ctx::fail);
  }

  /** A queued job is cancelled at once (200); a running one is asked to stop (202) and ends as cancelled. */
  public void cancel(RoutingContext ctx) {
    store.cancel(RequestParams.pathId(ctx))
        .onSuccess(job -> ctx.response()
            .setStatusCode(job.finished() ? 200 : 202)
            .putHeader("Content-Type", "application/json")
            .end(job.toJson().toBuffer()))
        .onFailure(ctx::fail);
  }

  /**
   * {@code POST /jobs/batch}: up to {@value #MAX_BATCH} jobs in one request, all checked before any is queued
   * (a 400 names the first bad one by its index), inserted in one commit. Each may carry its own idempotencyKey and
   * unique; an item whose unique key is taken (by an earlier item of the batch, too) is that job, "duplicate": true.
   */
  public void enqueueMany(RoutingContext ctx) {
    JsonObject body = RequestParams.jsonObject(ctx, "jobs: an array of jobs", null);
    if (!(body.getValue("jobs") instanceof JsonArray jobs) || jobs.isEmpty() || jobs.size() > MAX_BATCH
        || body.size() != 1) {
      throw ApiError.badRequest("send {\"jobs\": [...]} with 1 to " + MAX_BATCH + " jobs and nothing else");
    }
    List<JobRequests.Enqueue> requests = new ArrayList<>(jobs.size());
    for (int i = 0; i < jobs.size(); i++) {
      try {
        if (!(jobs.getValue(i) instanceof JsonObject job)) {
          throw ApiError.badRequest("must be a job object");
        }
        JsonObject fields = job.copy();
        Object key = fields.remove("idempotencyKey");
        if (key != null && !(key instanceof String)) {
          throw ApiError.badRequest("idempotencyKey must be a string");
        }
        requests.add(enqueueRequest(fields, checkedKey((String) key)));
      } catch (ApiError e) {
        throw ApiError.badRequest("jobs[" + i + "]: " + e.getMessage() + "; no job of the batch was queued");
      }
    }
    store.enqueueMany(requests)
        .onSuccess(enqueued -> ctx.response()
            .setStatusCode(202)
            .putHeader("Content-Type", "application/json")
            .end(new JsonObject().put("items", new JsonArray(enqueued.stream()
                .map(e -> e.job().toJson().put("replayed", e.replayed()).put("duplicate", e.duplicate()))
                .toList())).toBuffer()))
        .onFailure(ctx::fail);
  }

  private JobRequests.Enqueue enqueueRequest(RoutingContext ctx) {
    return enqueueRequest(RequestParams.jsonObject(ctx, "kind and input", null),
        checkedKey(ctx.request().getHeader("Idempotency-Key")));
  }

  private JobRequests.Enqueue enqueueRequest(JsonObject body, Optional<String> idempotencyKey) {
    for (String field : body.fieldNames()) {
      if (!FIELDS.contains(field)) {
        throw ApiError.badRequest("unknown field \"" + field + "\"; a job has " + String.join(", ", FIELDS.stream().sorted().toList()));
      }
    }
    if (!(body.getValue("kind") instanceof String kind)) {
      throw ApiError.badRequest("kind is required: the name of a job kind, one of " + String.join(", ", handlers.names()));
    }
    JobHandler handler = JobInputs.handler(handlers, kind, 400);
    Object rawInput = body.getValue("input", new JsonObject());
    if (!(rawInput instanceof JsonObject input)) {
      throw ApiError.badRequest("input must be a JSON object (the job's parameters)");
    }
    JobInputs.validated(handler, input);
    if (NulCharacters.in(input)) {
      throw ApiError.badRequest("input must not contain the NUL character (\\u0000): PostgreSQL's jsonb cannot store it");
    }
    return new JobRequests.Enqueue(kind, input,
        (int) integer(body, "priority", 0, -MAX_PRIORITY, MAX_PRIORITY),
        runAt(body),
        (int) integer(body, "maxAttempts", defaults.maxAttempts(), 1, 100),
        integer(body, "timeoutMs", defaults.timeoutMs(), 1, Integer.MAX_VALUE),
        idempotencyKey,
        UniqueRequests.from(body.getValue("unique"), kind, input));
  }

  private static long integer(JsonObject body, String field, long fallback, long min, long max) {
    Object value = body.getValue(field);
    if (value == null) {
      return fallback;
    }
    try {
      return Integers.fromJson(field, value, min, max);
    } catch (Integers.Invalid e) {
      throw ApiError.badRequest(e.getMessage());
    }
  }

  private static Optional<OffsetDateTime> runAt(JsonObject body) {
    Object value = body.getValue("runAt");
    if (value == null) {
      return Optional.empty();
    }
    try {
      return Optional.of(OffsetDateTime.parse((String) value));
    } catch (ClassCastException | DateTimeParseException e) {
      throw ApiError.badRequest("runAt must be an RFC 3339 date-time with an offset, e.g. 2026-11-22T18:30:00Z, got " + value);
    }
  }

  private static Optional<String> checkedKey(String key) {
    if (key == null) {
      return Optional.empty();
    }
    if (!IDEMPOTENCY_KEY.matcher(key).matches()) {
      throw ApiError.badRequest("Idempotency-Key must be 1-255 visible ASCII characters (no spaces)");
    }
    return Optional.of(key);
  }
}
