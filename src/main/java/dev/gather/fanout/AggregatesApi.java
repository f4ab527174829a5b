package dev.gather.fanout;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gather.cache.SourceCache;
import dev.gather.config.AggregateConfig;
import dev.gather.config.SourceConfig;
import dev.gather.console.RequestRing;
import dev.gather.db.NamedQueries;
import dev.gather.failure.Failure;
import dev.gather.failure.FailureKind;
import dev.gather.http.ApiError;
import dev.gather.http.Caller;
import dev.gather.http.RequestIds;
import dev.gather.http.RequestParams;
import dev.gather.shape.ShapeException;
import dev.gather.time.Ticker;
import dev.gather.time.Timers;
import dev.gather.upstream.Upstreams;
import dev.gather.wire.HeaderNames;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/** The {@code /aggregate/...} endpoints declared in config: one handler per aggregate. */
public final class AggregatesApi {
  private static final String CONCURRENT = "concurrent";
  private static final String SEQUENTIAL = "sequential";

  private final Upstreams upstreams;
  private final NamedQueries queries;
  private final long queryTimeoutMs;
  private final MeterRegistry registry;
  private final Ticker ticker = Ticker.SYSTEM;
  private final Timers timers;
  private final SourceCache cache;
  /** Where requests are recorded while a console page is open; null without a console. */
  private RequestRing ring;

  /** {@code timers} mark each request's deadline: the wheel ({@link Timers#timeouts}) in production. */
  public AggregatesApi(Upstreams upstreams, NamedQueries queries, long queryTimeoutMs, MeterRegistry registry,
      Timers timers) {
    this(upstreams, queries, queryTimeoutMs, registry, timers, null);
  }

  /** The same, the sources with a {@code cache} keeping their answers in {@code cache}. */
  public AggregatesApi(Upstreams upstreams, NamedQueries queries, long queryTimeoutMs, MeterRegistry registry,
      Timers timers, SourceCache cache) {
    this.cache = cache;
    this.upstreams = upstreams;
    this.queries = queries;
    this.queryTimeoutMs = queryTimeoutMs;
    this.registry = registry;
    this.timers = timers;
  }

  /** Records requests into {@code ring} whenever it asks for them (a console page is open); null: never. */
  public AggregatesApi recordingInto(RequestRing ring) {
    this.ring = ring;
    return this;
  }

  /** What is worked out once per aggregate rather than on every request: the envelope, the meters, who reads whom. */
  private record Plan(AggregateConfig aggregate, Set<String> read, Envelope envelope, AggregateMetrics metrics,
      Set<String> claimsRead) {}

  public Handler<RoutingContext> handler(AggregateConfig aggregate) {
    Set<String> read = aggregate.sources().stream().flatMap(s -> s.dependencies().stream())
        .collect(Collectors.toUnmodifiableSet());
    Plan plan = new Plan(aggregate, read, new Envelope(aggregate), new AggregateMetrics(registry, aggregate.name()),
        aggregate.claimsRead());
    return ctx -> run(ctx, plan);
  }

  private void run(RoutingContext ctx, Plan plan) {
    long began = ticker.nanoTime();
    if (plan.aggregate().cacheControl().isPresent()) {
      // Until the answer turns out complete: a failure, a 404 passed on, a stream must not be kept.
      ClientCaching.forbid(ctx.response());
    }
    String mode = ctx.queryParams().get("mode") == null ? CONCURRENT : ctx.queryParams().get("mode");
    if (!mode.equals(SEQUENTIAL) && !mode.equals(CONCURRENT)) {
      throw ApiError.badRequest("mode must be concurrent (the default) or sequential, got \"" + mode + "\"");
    }
    boolean sequential = mode.equals(SEQUENTIAL);
    Map<String, String> params = new HashMap<>();
    ctx.queryParams().forEach(params::putIfAbsent);
    params.putAll(ctx.pathParams());
    Caller caller = Caller.of(ctx);
    for (String claim : plan.claimsRead()) {
      if (!caller.claims().containsKey(claim)) {
        // The policy let the caller in, but its credentials (an API key, or a token without it) lack what the
        // aggregate reads: not a malformed request, a caller not entitled to this answer.
        throw new ApiError(403, "forbidden", "this aggregate reads the token claim " + claim
            + ", which the caller's credentials do not carry");
      }
    }
    FieldSelection selection = FieldSelection.of(plan.aggregate(), ctx.queryParams()).orElse(FieldSelection.ALL);
    checkItems(plan.aggregate(), params, selection);
    Object body = plan.aggregate().readsBody() ? clientBody(ctx) : null;
    AggregateRun run = new AggregateRun(plan.aggregate(), plan.read(), upstreams, queries, queryTimeoutMs, params,
        ctx.request().headers(), RequestIds.of(ctx), ticker, timers).client(body, ctx.queryParams())
        .claims(caller.claims()).traced(upstreams.tracer()).cached(cache);
    if (selection != FieldSelection.ALL) {
      run.only(selection.run());
    }
    // Decided once per request: a volatile read when nobody watches, nothing kept or built.
    boolean recorded = ring != null && ring.recording();
    if (recorded) {
      run.timed();
    }
    // A client that leaves takes its upstream calls with it: they are reset, and no further source starts.
    ctx.response().closeHandler(closed -> run.cancel());
    Optional<StreamFormat> streamed = StreamFormat.negotiate(accept(ctx));
    if (streamed.isPresent()) {
      stream(ctx, plan, run, streamed.get(), sequential, params, body, selection, began, recorded);
      return;
    }
    (sequential ? run.sequential() : run.concurrent())
        .onSuccess(results -> {
          Optional<ApiError> passed = PassedStatus.of(plan.aggregate().sources(), results);
          if (passed.isPresent()) {
            plan.metrics().request(sequential, passed.get().status(), false, ticker.nanoTime() - began);
            recordIf(recorded, ctx, plan, run, passed.get().status(), false, began, results);
            ctx.fail(passed.get());
            return;
          }
          JsonNode shaped;
          try {
            shaped = shape(plan, params, body, results, selection);
          } catch (ShapeException e) {
            plan.metrics().request(sequential, FailureKind.SHAPE_FAILED.httpStatus(), false, ticker.nanoTime() - began);
            recordIf(recorded, ctx, plan, run, FailureKind.SHAPE_FAILED.httpStatus(), false, began, results);
            ctx.fail(new Failure(FailureKind.SHAPE_FAILED, "shape " + e.getMessage()));
            return;
          }
          int status = plan.envelope().send(ctx.response(), results, shaped, ctx.request().path(), RequestIds.of(ctx),
              ctx.request().getHeader(HeaderNames.IF_NONE_MATCH), selection);
          plan.metrics().request(sequential, status, Envelope.complete(results), ticker.nanoTime() - began);
          recordIf(recorded, ctx, plan, run, status, Envelope.complete(results), began, results);
        })
        .onFailure(ctx::fail);
  }

  private void recordIf(boolean recorded, RoutingContext ctx, Plan plan, AggregateRun run, int status, boolean complete,
      long began, List<SourceResult> results) {
    if (recorded) {
      Recording.record(ring, run, plan.aggregate().name(), RequestIds.of(ctx), status, complete,
          ticker.nanoTime() - began, results);
    }
  }

  /**
   * A forEach over a request parameter with more items than its {@code maxItems} is the client's mistake: 400
   * before anything runs, so no call is made (and no future per item is made either).
   */
  private static void checkItems(AggregateConfig aggregate, Map<String, String> params, FieldSelection selection) {
    for (SourceConfig source : aggregate.sources()) {
      if (source.forEach().isEmpty() || source.forEach().get().source().isPresent() || !selection.runs(source.name())) {
        continue;
      }
      String parameter = source.forEach().get().parameter();
      String raw = params.get(parameter);
      if (raw != null && raw.length() > source.maxItems()) { // fewer characters than the limit cannot be more items
        int items = AggregateRun.parameterItems(raw).size();
        if (items > source.maxItems()) {
          throw new ApiError(400, "too-many-items", "source " + source.name() + ": " + parameter + " lists " + items
              + " items, more than its maxItems (" + source.maxItems() + "); ask for at most " + source.maxItems()
              + " per request", new JsonObject().put("source", source.name()).put("maxItems", source.maxItems()));
        }
      }
    }
  }

  /**
   * The streamed answer: an event per source as it settles, then the end event with the status the answer would
   * have had unstreamed, decided the same way (a status passed on, a failed shape, the required sources).
   */
  private void stream(RoutingContext ctx, Plan plan, AggregateRun run, StreamFormat format, boolean sequential,
      Map<String, String> params, Object body, FieldSelection selection, long began, boolean recorded) {
    EventStream events = EventStream.open(ctx.request(), format, timers, plan.aggregate().deadlineMs(),
        plan.aggregate().sources().size());
    run.onSettled(events::source);
    (sequential ? run.sequential() : run.concurrent())
        .onSuccess(results -> {
          boolean complete = Envelope.complete(results);
          Optional<ApiError> passed = PassedStatus.of(plan.aggregate().sources(), results);
          int status;
          String detail = null;
          JsonNode shaped = null;
          if (passed.isPresent()) {
            status = passed.get().status();
            detail = passed.get().getMessage();
          } else {
            try {
              shaped = shape(plan, params, body, results, selection);
              status = plan.envelope().verdictOf(results).status();
              detail = status == 200 ? null : plan.envelope().requiredDetail(results);
            } catch (ShapeException e) {
              status = FailureKind.SHAPE_FAILED.httpStatus();
              detail = "shape " + e.getMessage();
            }
          }
          events.end(complete, status, detail, shaped);
          plan.metrics().request(sequential, status, complete, ticker.nanoTime() - began);
          recordIf(recorded, ctx, plan, run, status, complete, began, results);
        })
        .onFailure(ctx::fail);
  }

  /**
   * The aggregate's shape applied to the results; null when it has none. With a {@code ?fields=} selection, only
   * the selected part of the shape is evaluated and the data is projected onto the selected fields.
   */
  private static JsonNode shape(Plan plan, Map<String, String> params, Object body, List<SourceResult> results,
      FieldSelection selection) {
    if (selection == FieldSelection.ALL) {
      return plan.aggregate().shape().map(shape -> shape.apply(ShapeContext.of(params, body, results))).orElse(null);
    }
    return plan.aggregate().shape()
        .map(shape -> selection.project(selection.shape(shape).apply(ShapeContext.of(params, body, results))))
        .orElseGet(() -> selection.project(results));
  }

  /** Every {@code Accept} header of the request as one list; null when there is none. */
  private static String accept(RoutingContext ctx) {
    List<String> accept = ctx.request().headers().getAll(HeaderNames.ACCEPT);
    return accept.isEmpty() ? null : accept.size() == 1 ? accept.get(0) : String.join(",", accept);
  }

  /** The client's JSON body, read by the route up to http.maxBodyBytes; null when it sent none. */
  private static Object clientBody(RoutingContext ctx) {
    Buffer bytes = ctx.body() == null ? null : ctx.body().buffer();
    if (RequestParams.blank(bytes)) {
      return null;
    }
    try {
      return Json.decodeValue(bytes);
    } catch (DecodeException e) {
      throw ApiError.badRequest("the request body is not JSON; this aggregate reads it as JSON");
    }
  }
}
