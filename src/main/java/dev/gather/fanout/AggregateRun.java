package dev.gather.fanout;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gather.cache.CacheKey;
import dev.gather.cache.SourceCache;
import dev.gather.config.AggregateConfig;
import dev.gather.config.SourceConfig;
import dev.gather.config.Template;
import dev.gather.db.NamedQueries;
import dev.gather.failure.Failure;
import dev.gather.failure.FailureKind;
import dev.gather.shape.Nodes;
import dev.gather.shape.Selection;
import dev.gather.shape.ShapeException;
import dev.gather.time.Ticker;
import dev.gather.time.Timers;
import dev.gather.upstream.Answer;
import dev.gather.upstream.CallStats;
import dev.gather.upstream.Cancellation;
import dev.gather.upstream.RawJson;
import dev.gather.upstream.Upstream;
import dev.gather.upstream.Upstreams;
import dev.gather.wire.HeaderNames;
import dev.gather.wire.HopByHop;
import dev.gather.trace.Tracing;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * One request's execution of an aggregate. Every source is a future that starts as soon as the futures of the
 * sources it needs have their results (at once when it needs none), and is given those results; each call gets
 * the smaller of its own timeout and what is left of the request's deadline. In sequential mode everything,
 * forEach items included, runs one at a time. One timer per request marks the deadline: it cancels every call
 * still in flight as a timeout. Runs on the request's event loop only.
 */
final class AggregateRun {

  private final AggregateConfig aggregate;
  private final Set<String> read;
  private final Upstreams upstreams;
  private final NamedQueries queries;
  private final long queryTimeoutMs;
  private final Map<String, String> params;
  private final MultiMap incomingHeaders;
  private final String requestId;
  private final Ticker ticker;
  private final Cancellation cancellation;
  private final Timers.Scheduled deadline;
  private boolean sequential;
  /** The client's JSON body (null when none, or when no template reads it) and its query parameters. */
  private Object clientBody;
  private MultiMap clientQuery = MultiMap.caseInsensitiveMultiMap();
  /** The caller's verified token claims, for {@code {jwt.x}}. */
  private JsonObject claims = new JsonObject();
  /** The process's cache of cached sources; null when none is given (then nothing is cached). */
  private SourceCache cache;
  /** The aggregate's span and the trace context under it; null when tracing is off. */
  private Tracer tracer;
  private Span span;
  private Context trace;
  /** The sources a {@code ?fields=} selection needs; null when every source runs. */
  private Set<String> only;
  /** Told of each source's result as it settles, before the sources that need it start; for a streamed answer. */
  private Handler<SourceResult> settled;
  /** When each source started, in nanoseconds after {@link #timedFrom}; null unless the console watches. */
  private Map<String, Long> starts;
  private long timedFrom;

  /**
   * {@code read} names the sources whose data another source reads (a template, a forEach); only theirs is
   * decoded, the others' bodies are checked and go into the envelope as they came.
   */
  AggregateRun(AggregateConfig aggregate, Set<String> read, Upstreams upstreams, NamedQueries queries, long queryTimeoutMs,
      Map<String, String> params, MultiMap incomingHeaders, String requestId, Ticker ticker, Timers timers) {
    this.aggregate = aggregate;
    this.read = read;
    this.upstreams = upstreams;
    this.queries = queries;
    this.queryTimeoutMs = queryTimeoutMs;
    this.params = params;
    this.incomingHeaders = incomingHeaders;
    this.requestId = requestId;
    this.ticker = ticker;
    this.cancellation = Cancellation.until(ticker, aggregate.deadlineMs());
    this.deadline = timers.schedule(aggregate.deadlineMs(), () -> cancellation.cancel(new Failure(
        FailureKind.TIMEOUT, "the request deadline (" + aggregate.deadlineMs() + " ms) passed")));
  }

  /** What of the client's request templates may read besides parameters and headers: its body, its query. */
  AggregateRun client(Object body, MultiMap query) {
    this.clientBody = body;
    this.clientQuery = query;
    return this;
  }

  /**
   * Runs only {@code sources} (those a field selection needs, and what they wait for); every other source is
   * skipped without being started.
   */
  AggregateRun only(Set<String> sources) {
    this.only = sources;
    return this;
  }

  /** The cache the sources with a {@code cache} keep their answers in. */
  AggregateRun cached(SourceCache cache) {
    this.cache = cache;
    return this;
  }

  /** The claims of the caller's verified token, which {@code {jwt.x}} placeholders read. */
  AggregateRun claims(Map<String, Object> claims) {
    this.claims = new JsonObject(claims);
    return this;
  }

  /**
   * Traces the run when {@code tracer} is not null: a span for the aggregate, child of the request's (the span
   * current on the request's context), and under it one per source that calls.
   */
  AggregateRun traced(Tracer tracer) {
    if (tracer != null) {
      Context parent = Context.current();
      this.tracer = tracer;
      this.span = tracer.spanBuilder("aggregate " + aggregate.name())
          .setParent(parent)
          .setAttribute(Tracing.Keys.AGGREGATE, aggregate.name())
          .startSpan();
      this.trace = parent.with(span);
    }
    return this;
  }

  private void endSpan(boolean sequential) {
    if (span != null) {
      span.setAttribute(Tracing.Keys.MODE, sequential ? "sequential" : "concurrent");
      if (cancellation.cancelled()) {
        span.setAttribute(Tracing.Keys.FAILURE_KIND, cancellation.reason().kind().wireName());
      }
      span.end();
    }
  }

  /**
   * Keeps when each source starts, for the console's waterfall ({@link #startedMs}); asked only while a console
   * page is open, so a run nobody watches keeps nothing.
   */
  AggregateRun timed() {
    this.starts = new HashMap<>();
    this.timedFrom = ticker.nanoTime();
    return this;
  }

  /** Milliseconds from the start of the run to the start of {@code source}; 0 when not timed or not started. */
  long startedMs(String source) {
    Long at = starts == null ? null : starts.get(source);
    return at == null ? 0 : at / 1_000_000;
  }

  /** Tells {@code listener} of each source's result the moment it settles, in the order they settle. */
  AggregateRun onSettled(Handler<SourceResult> listener) {
    this.settled = listener;
    return this;
  }

  private Future<SourceResult> told(Future<SourceResult> result) {
    return settled == null ? result : result.onSuccess(settled);
  }

  /** Stops every call in flight, and every source not started yet; for a client that has gone away. */
  void cancel() {
    cancellation.cancel();
  }

  /** All sources at once, each waiting only for what it needs; the results in the aggregate's order. */
  Future<List<SourceResult>> concurrent() {
    Map<String, Future<SourceResult>> started = new HashMap<>();
    List<Future<SourceResult>> all = new ArrayList<>(aggregate.sources().size());
    for (SourceConfig source : aggregate.sources()) { // dependency order: what it needs is already started
      List<Future<SourceResult>> needs = source.dependencies().stream().map(started::get).toList();
      Future<SourceResult> result = told(needs.isEmpty()
          ? start(source, Map.of())
          : Future.all(needs).compose(ready -> start(source, byName(needs.stream().map(Future::result).toList()))));
      started.put(source.name(), result);
      all.add(result);
    }
    return Future.all(all).map(done -> all.stream().map(Future::result).toList()).onComplete(done -> {
      deadline.cancel();
      endSpan(false);
    });
  }

  /** One source after another, each given the results so far: the baseline that shows what concurrency buys. */
  Future<List<SourceResult>> sequential() {
    sequential = true;
    Future<List<SourceResult>> chain = Future.succeededFuture(List.of());
    for (SourceConfig source : aggregate.sources()) {
      chain = chain.compose(done -> told(start(source, byName(done))).map(result -> {
        List<SourceResult> more = new ArrayList<>(done);
        more.add(result);
        return more;
      }));
    }
    return chain.onComplete(done -> {
      deadline.cancel();
      endSpan(true);
    });
  }

  private static Map<String, SourceResult> byName(List<SourceResult> results) {
    Map<String, SourceResult> named = new HashMap<>();
    results.forEach(r -> named.put(r.name(), r));
    return named;
  }

  /**
   * A source's result, given the results of the sources it needs; it never fails, a failure is its result.
   * A source that needs a skipped one is skipped too; its {@code when} sees failed sources as null; a failure
   * of an optional source with a {@code fallback} is reported, and the fallback is its data.
   */
  private Future<SourceResult> start(SourceConfig source, Map<String, SourceResult> needs) {
    long began = ticker.nanoTime();
    if (starts != null) { // one event loop runs the whole run: a plain map will do
      starts.put(source.name(), began - timedFrom);
    }
    Span[] sourceSpan = new Span[1];
    Future<Answer> answer;
    if (only != null && !only.contains(source.name())) {
      return Future.succeededFuture(SourceResult.skipped(source.name()));
    } else if (cancellation.cancelled()) {
      answer = Future.failedFuture(cancellation.reason());
    } else if (anySkipped(source.dependencies(), needs)) {
      return Future.succeededFuture(SourceResult.skipped(source.name()));
    } else {
      // A source whose templates need a failed source cannot run whatever its when says: that failure is the
      // honest report, not the when's error on the null it would read.
      List<String> failedNeeds = failed(source, needs);
      try {
        if (!failedNeeds.isEmpty()) {
          answer = Future.failedFuture(new Failure(FailureKind.DEPENDENCY, "needs " + failedNeeds + ", which failed"));
        } else if (source.when().isPresent()
            && !source.when().get().test(ShapeContext.of(params, clientBody(), needs.values()))) {
          return Future.succeededFuture(SourceResult.skipped(source.name()));
        } else {
          Context sourceTrace = null;
          if (trace != null) {
            sourceSpan[0] = sourceSpan(source);
            sourceTrace = trace.with(sourceSpan[0]);
          }
          answer = fetch(source, needs, sourceTrace);
        }
      } catch (ShapeException e) {
        answer = Future.failedFuture(new Failure(FailureKind.SHAPE_FAILED, "when " + e.getMessage()));
      }
      if (source.select().isPresent()) {
        Selection selection = source.select().get();
        boolean decoded = read.contains(source.name());
        answer = answer.map(got -> select(selection, got, decoded))
            // The items that came keep their data, selected like a whole answer would be.
            .recover(e -> Future.failedFuture(e instanceof ItemFailures items
                ? items.with(select(selection, items.answer(), decoded)) : e));
      }
    }
    return answer.transform(done -> {
      long ms = ticker.millisSince(began);
      SourceResult result = done.succeeded() ? SourceResult.answered(source.name(), ms, done.result())
          : done.cause() instanceof ItemFailures items ? SourceResult.partial(source.name(), ms, items)
          : SourceResult.failed(source.name(), ms, failure(done.cause()));
      if (sourceSpan[0] != null) {
        endSourceSpan(sourceSpan[0], result);
      }
      return Future.succeededFuture(result.ok() || result.hasData() || source.fallback().isEmpty() ? result
          : SourceResult.fellBack(result, Nodes.toVertx(source.fallback().get())));
    });
  }

  private Span sourceSpan(SourceConfig source) {
    var builder = tracer.spanBuilder("source " + source.name())
        .setParent(trace)
        .setAttribute(Tracing.Keys.SOURCE, source.name());
    source.upstream().ifPresent(upstream -> builder.setAttribute(Tracing.Keys.UPSTREAM, upstream));
    source.query().ifPresent(query -> builder.setAttribute(Tracing.Keys.QUERY, query));
    return builder.startSpan();
  }

  /**
   * How the source's call went, as its envelope entry tells it. The flags are set only when true (absent reads as
   * false): most calls are neither hedged, coalesced, short-circuited nor cached, and every attribute is paid for on every
   * span at 100 % sampling.
   */
  private static void endSourceSpan(Span span, SourceResult result) {
    CallStats stats = result.stats();
    if (stats.attempts() != 1) { // one try, the usual case, is what an absent count means
      span.setAttribute(Tracing.Keys.ATTEMPTS, (long) stats.attempts());
    }
    flag(span, Tracing.Keys.HEDGED, stats.hedged());
    flag(span, Tracing.Keys.COALESCED, stats.coalesced());
    flag(span, Tracing.Keys.SHORT_CIRCUITED, stats.shortCircuited());
    flag(span, Tracing.Keys.CACHED, result.cached());
    flag(span, Tracing.Keys.STALE, result.stale());
    if (result.failure() != null) {
      span.setAttribute(Tracing.Keys.FAILURE_KIND, result.failure().kind().wireName());
      span.setStatus(StatusCode.ERROR, result.failure().detail());
    }
    span.end();
  }

  private static void flag(Span span, AttributeKey<Boolean> key, boolean value) {
    if (value) {
      span.setAttribute(key, true);
    }
  }

  /**
   * The answer with its data replaced by what the source's select keeps; a failing expression fails it. The
   * result stays a Jackson tree unless a template of another source reads into it the Vert.x way.
   */
  private static Answer select(Selection selection, Answer answer, boolean read) {
    try {
      JsonNode selected = selection.apply(ShapeContext.node(answer.data()));
      return new Answer(read ? Nodes.toVertx(selected) : selected, answer.status(), answer.stats());
    } catch (ShapeException e) {
      throw new Failure(FailureKind.SHAPE_FAILED, "select " + e.getMessage());
    }
  }

  /** The client's JSON body, for expressions: null when the aggregate reads none. */
  private Object clientBody() {
    return clientBody;
  }

  private static boolean anySkipped(Set<String> dependencies, Map<String, SourceResult> needs) {
    for (String dependency : dependencies) {
      if (needs.get(dependency).skipped()) {
        return true;
      }
    }
    return false;
  }

  /**
   * The needed sources that failed with no fallback to read instead; those only a {@code when} reads do not
   * count (it has seen them as null, and said to run).
   */
  private static List<String> failed(SourceConfig source, Map<String, SourceResult> needs) {
    List<String> failed = List.of();
    for (String dependency : source.dependencies()) {
      if (!needs.get(dependency).hasData() && !(source.when().isPresent() && source.onlyWhenReads(dependency))) {
        failed = failed.isEmpty() ? new ArrayList<>() : failed;
        failed.add(dependency);
      }
    }
    return failed;
  }

  /** One call, or one per forEach item; a forEach answers the list of its items' data, in order. */
  private Future<Answer> fetch(SourceConfig source, Map<String, SourceResult> needs, Context trace) {
    if (source.forEach().isEmpty()) {
      return call(source, Map.of(), needs, trace);
    }
    List<Object> items;
    try {
      items = items(source.forEach().get(), needs);
    } catch (Failure e) {
      return Future.failedFuture(e);
    }
    if (items.size() > source.maxItems()) {
      // A request parameter's list was refused before anything ran (AggregatesApi); this is another source's list.
      return Future.failedFuture(new Failure(FailureKind.TOO_LARGE, "forEach over " + items.size() + " items of "
          + reference(source.forEach().get()) + ", more than its maxItems (" + source.maxItems() + "); no call made"));
    }
    if (source.batch().isPresent()) {
      return batched(source, items, needs, trace);
    }
    Function<Object, Future<Answer>> callOne = item -> call(source, Map.of(source.as(), item), needs, trace);
    Future<List<Answer>> answers = sequential
        ? inTurn(items, callOne)
        : Future.all(items.stream().map(callOne).toList()).map(all -> all.<Answer>list());
    return answers.map(all -> new Answer(
        new JsonArray(all.stream().map(Answer::data).toList()), all.isEmpty() ? 200 : all.get(0).status(),
        all.stream().map(Answer::stats).reduce(CallStats::plus).orElse(new CallStats(0, false, false, false))));
  }

  /**
   * A batched forEach: one call per chunk of distinct values, each carrying them in {@code ?param=a,b,c}
   * (percent-encoded, the commas as they are), concurrently unless sequential; the answers scattered back to
   * the items. A chunk's failure is its items' failure, not the others'.
   */
  private Future<Answer> batched(SourceConfig source, List<Object> items, Map<String, SourceResult> needs,
      Context trace) {
    Scatter scatter = new Scatter(source.batch().get(), items);
    String param = source.batch().get().param();
    Function<List<String>, Future<AsyncResult<Answer>>> callChunk = values -> {
      String joined = String.join(",", values.stream().map(AggregateRun::encode).toList());
      return call(source, Map.of(), needs, trace, encode(param) + "=" + joined)
          .transform(Future::<AsyncResult<Answer>>succeededFuture);
    };
    Future<List<AsyncResult<Answer>>> outcomes = sequential
        ? inTurn(scatter.chunks(), callChunk)
        : Future.all(scatter.chunks().stream().map(callChunk).toList()).map(all -> all.<AsyncResult<Answer>>list());
    return outcomes.compose(scatter::gather);
  }

  private static String reference(Template.Part part) {
    return part.source().map(s -> s + "." + String.join(".", part.path())).orElse(part.parameter());
  }

  /** The items of a forEach over a comma-separated request parameter: its non-blank values, trimmed. */
  static List<Object> parameterItems(String raw) {
    return Arrays.stream(raw.split(",")).map(String::trim).filter(s -> !s.isEmpty()).map(s -> (Object) s).toList();
  }

  /** The list a forEach walks: a JSON array from another source, or a comma-separated request parameter. */
  private List<Object> items(Template.Part reference, Map<String, SourceResult> needs) {
    if (reference.source().isEmpty()) {
      String raw = params.get(reference.parameter());
      if (raw == null || raw.isBlank()) {
        throw new Failure(FailureKind.MISSING_PARAMETER,
            "forEach needs request parameter " + reference.parameter() + " (e.g. ?" + reference.parameter() + "=1,2,3)");
      }
      return parameterItems(raw);
    }
    Object value = value(reference, Map.of(), needs);
    if (!(value instanceof JsonArray array)) {
      throw new Failure(FailureKind.DEPENDENCY,
          "forEach needs a list at " + reference.source().get() + "." + String.join(".", reference.path()));
    }
    return array.getList();
  }

  private Future<Answer> call(SourceConfig source, Map<String, Object> binding, Map<String, SourceResult> needs,
      Context trace) {
    return call(source, binding, needs, trace, null);
  }

  /** {@code batchQuery}: a batch call's {@code param=a,b,c}, already encoded; null for any other call. */
  private Future<Answer> call(SourceConfig source, Map<String, Object> binding, Map<String, SourceResult> needs,
      Context trace, String batchQuery) {
    long remainingMs = cancellation.msLeft();
    if (remainingMs <= 0) {
      return Future.failedFuture(new Failure(FailureKind.TIMEOUT, "the request deadline ("
          + aggregate.deadlineMs() + " ms) passed before the call could start"));
    }
    try {
      return source.query().isPresent()
          ? query(source, binding, remainingMs, needs, trace)
          : request(source, binding, remainingMs, needs, trace, batchQuery);
    } catch (Failure e) {
      return Future.failedFuture(e);
    }
  }

  private Future<Answer> request(SourceConfig source, Map<String, Object> binding, long remainingMs,
      Map<String, SourceResult> needs, Context trace, String batchQuery) {
    Upstream upstream = upstreams.get(source.upstream().orElseThrow());
    MultiMap headers = MultiMap.caseInsensitiveMultiMap()
        .add(HeaderNames.REQUEST_ID, requestId)
        .add(HeaderNames.DEADLINE_MS, String.valueOf(remainingMs));
    Set<String> hopByHop = null;
    for (String header : upstream.config().forwardHeaders()) {
      if (hopByHop == null) {
        hopByHop = HopByHop.names(incomingHeaders);
      }
      if (hopByHop.contains(header.toLowerCase(Locale.ROOT))) {
        continue; // the client's Connection header made it this hop's only (or it is hop-by-hop by definition)
      }
      if (trace != null && (header.equalsIgnoreCase("traceparent") || header.equalsIgnoreCase("tracestate"))) {
        continue; // traced, the call carries its own try's trace context; a forwarded copy would make two
      }
      List<String> values = incomingHeaders.getAll(header);
      if (!values.isEmpty()) {
        headers.add(header, values);
      }
    }
    source.headers().forEach((name, template) -> headers.set(name, headerValue(name, template, binding, needs)));
    Buffer body = null;
    if (source.body().isPresent()) {
      headers.set(HeaderNames.CONTENT_TYPE, "application/json");
      body = Json.encodeToBuffer(source.body().get().render(part -> value(part, binding, needs),
          template -> render(template, binding, needs, Function.identity())));
    }
    long timeoutMs = source.timeoutMs() == SourceConfig.UPSTREAM_TIMEOUT ? upstream.config().timeoutMs()
        : source.timeoutMs();
    String pathAndQuery = withQuery(renderPath(source.path(), binding, needs), source, binding, needs, batchQuery);
    // A batch answer is read to scatter it, whoever reads the source.
    Upstream.JsonBody use = read.contains(source.name()) || batchQuery != null
        ? Upstream.JsonBody.DECODED : Upstream.JsonBody.CHECKED;
    HttpMethod method = HttpMethod.valueOf(source.method());
    if (cache == null || source.cache().isEmpty() || body != null) {
      return upstream.fetchJson(method, pathAndQuery, headers, body, Math.min(timeoutMs, remainingMs), cancellation,
          use, trace);
    }
    Buffer none = null;
    return cache.through(CacheKey.upstream(upstream.config().name(), pathAndQuery,
            upstream.cacheKey(pathAndQuery, headers)), source.cache().get(), owner(source),
        new SourceCache.Call<Answer>() {
          @Override
          public Future<Answer> live() {
            return upstream.fetchJson(method, pathAndQuery, headers, none, Math.min(timeoutMs, remainingMs),
                cancellation, use, trace, true);
          }

          @Override
          public Future<Answer> refresh() {
            // Nobody's request: the call's own timeout bounds it, and no client leaving stops it.
            return upstream.fetchJson(method, pathAndQuery, headers, none, timeoutMs, Cancellation.none(), use, null,
                true);
          }

          @Override
          public SourceCache.Fresh fresh(Answer answer) {
            return answer.body() == null ? null
                : new SourceCache.Fresh(answer.body(), answer.status(), answer.cacheControl());
          }

          @Override
          public Answer fromCache(SourceCache.Hit hit) {
            // In place of a failed call, the entry still says what that call tried (tries, an open breaker).
            CallStats stats = CallStats.fromCache(hit.stale(), hit.ageMs(), hit.failure());
            // Checked as JSON when it came: bytes nobody reads into go into the envelope as kept.
            return use == Upstream.JsonBody.CHECKED && hit.body().length() > 0
                ? new Answer(new RawJson(hit.body()), hit.status(), stats)
                : Upstream.answer(hit.body(), hit.status(), null, use, stats);
          }
        });
  }

  /** Who stores a source's answers, for its maxEntries: the source of this aggregate. */
  private String owner(SourceConfig source) {
    return aggregate.name() + "." + source.name();
  }

  /** A header's value may come from the client; a line break in it would start a header of the client's choosing. */
  private String headerValue(String name, Template template, Map<String, Object> binding,
      Map<String, SourceResult> needs) {
    String value = render(template, binding, needs, Function.identity());
    if (value.chars().anyMatch(c -> c == '\r' || c == '\n' || c == 0)) {
      throw new Failure(FailureKind.BAD_PARAMETER, "header " + name + " would contain a line break");
    }
    return value;
  }

  /**
   * The path with the source's {@code query} parameters (a list value repeats the name) and the client's
   * {@code forwardQuery} ones appended, every name and value percent-encoded.
   */
  private String withQuery(String path, SourceConfig source, Map<String, Object> binding,
      Map<String, SourceResult> needs, String batchQuery) {
    if (source.queryParams().isEmpty() && source.forwardQuery().isEmpty() && batchQuery == null) {
      return path;
    }
    StringBuilder uri = new StringBuilder(path);
    char[] separator = {path.indexOf('?') < 0 ? '?' : '&'};
    if (batchQuery != null) {
      uri.append(separator[0]).append(batchQuery);
      separator[0] = '&';
    }
    java.util.function.BiConsumer<String, Object> add = (name, value) -> {
      uri.append(separator[0]).append(encode(name)).append('=').append(encode(String.valueOf(value)));
      separator[0] = '&';
    };
    source.queryParams().forEach((name, templates) -> {
      for (Template template : templates) {
        Object value = template.single().isPresent() ? value(template.single().get(), binding, needs)
            : render(template, binding, needs, Function.identity());
        if (value instanceof JsonArray list) {
          list.forEach(item -> add.accept(name, item));
        } else {
          add.accept(name, value);
        }
      }
    });
    for (String name : source.forwardQuery()) {
      clientQuery.getAll(name).forEach(value -> add.accept(name, value));
    }
    return uri.toString();
  }

  private Future<Answer> query(SourceConfig source, Map<String, Object> binding, long remainingMs,
      Map<String, SourceResult> needs, Context trace) {
    List<Object> values = source.params().stream().map(param -> parameterValue(param, binding, needs)).toList();
    long timeoutMs = Math.min(queryTimeoutMs, remainingMs);
    String name = source.query().get();
    // Under the source's span: the SQL client's own span (it continues whatever trace is current) is its child.
    java.util.function.Supplier<Future<Answer>> run = () -> Tracing.within(trace, () -> queries.run(name, values,
            timeoutMs))
        .map(all -> new Answer(all, 200, CallStats.ONE_TRY))
        .recover(e -> Future.failedFuture(queryFailure(name, e, timeoutMs)));
    Future<Answer> rows = cache == null || source.cache().isEmpty() ? run.get()
        : cache.through(CacheKey.query(name, Json.encode(values)), source.cache().get(), owner(source),
            new SourceCache.Call<Answer>() {
              @Override
              public Future<Answer> live() {
                return run.get();
              }

              @Override
              public Future<Answer> refresh() {
                return queries.run(name, values, queryTimeoutMs).map(all -> new Answer(all, 200, CallStats.ONE_TRY));
              }

              @Override
              public SourceCache.Fresh fresh(Answer answer) {
                return new SourceCache.Fresh(Json.encodeToBuffer(answer.data()), 200, null);
              }

              @Override
              public Answer fromCache(SourceCache.Hit hit) {
                return new Answer(new JsonArray(hit.body()), hit.status(),
                    CallStats.fromCache(hit.stale(), hit.ageMs(), hit.failure()));
              }
            });
    return source.one() ? rows.compose(answer -> firstRow(source, answer)) : rows;
  }

  /** {@code one: true}: the first row, or null; a required source with no row has nothing to answer (404). */
  private static Future<Answer> firstRow(SourceConfig source, Answer answer) {
    JsonArray rows = (JsonArray) answer.data();
    if (rows.isEmpty() && source.required()) {
      return Future.failedFuture(new Failure(FailureKind.NOT_FOUND, "query " + source.query().get() + " found no row"));
    }
    return Future.succeededFuture(new Answer(rows.isEmpty() ? null : rows.getValue(0), answer.status(), answer.stats()));
  }

  /** The database's own kinds are the source's; anything else it says about the query is query_failed. */
  private static Failure queryFailure(String query, Throwable e, long timeoutMs) {
    FailureKind kind = e instanceof Failure failure ? failure.kind() : FailureKind.QUERY_FAILED;
    return switch (kind) {
      case TIMEOUT -> new Failure(FailureKind.TIMEOUT, "query " + query + " did not finish within " + timeoutMs + " ms");
      case UNAVAILABLE -> new Failure(FailureKind.UNAVAILABLE, "query " + query + ": the database is unavailable");
      case BAD_PARAMETER -> new Failure(FailureKind.BAD_PARAMETER, e.getMessage());
      default -> new Failure(FailureKind.QUERY_FAILED, "query " + query + " failed: " + e.getMessage());
    };
  }

  /** A template that is one placeholder keeps its JSON type (a number stays a number); anything else is text. */
  private Object parameterValue(Template template, Map<String, Object> binding, Map<String, SourceResult> needs) {
    if (template.parts().size() == 1 && !template.parts().get(0).isLiteral()) {
      return value(template.parts().get(0), binding, needs);
    }
    return render(template, binding, needs, Function.identity());
  }

  /** A path: every placeholder's value percent-encoded, so that no value can add a segment or a query. */
  private String renderPath(Template template, Map<String, Object> binding, Map<String, SourceResult> needs) {
    return render(template, binding, needs, AggregateRun::encode);
  }

  private String render(Template template, Map<String, Object> binding, Map<String, SourceResult> needs,
      Function<String, String> escape) {
    StringBuilder out = new StringBuilder();
    for (Template.Part part : template.parts()) {
      out.append(part.isLiteral() ? part.literal() : escape.apply(String.valueOf(value(part, binding, needs))));
    }
    return out.toString();
  }

  /**
   * A placeholder's value: a forEach item, a request parameter, the client's body or a field of it, a client
   * header, or a field of a needed source's data.
   */
  private Object value(Template.Part part, Map<String, Object> binding, Map<String, SourceResult> needs) {
    if (part.readsBody()) {
      return bodyValue(part);
    }
    if (part.readsHeader()) {
      String name = String.join(".", part.path());
      String header = incomingHeaders.get(name);
      if (header == null) {
        throw new Failure(FailureKind.MISSING_PARAMETER, "needs request header " + name);
      }
      return header;
    }
    if (part.readsJwt()) {
      Object claim = walk(claims, part.path());
      if (claim == null) {
        throw new Failure(FailureKind.MISSING_PARAMETER, "needs token claim " + String.join(".", part.path()));
      }
      return claim;
    }
    if (part.source().isEmpty()) {
      Object value = binding.containsKey(part.parameter()) ? binding.get(part.parameter()) : params.get(part.parameter());
      if (value == null) {
        throw new Failure(FailureKind.MISSING_PARAMETER, "needs request parameter " + part.parameter());
      }
      return value;
    }
    Object node = walk(needs.get(part.source().get()).data(), part.path());
    if (node == null) {
      throw new Failure(FailureKind.DEPENDENCY, "no value at " + part.source().get() + "."
          + String.join(".", part.path()));
    }
    return node;
  }

  private Object bodyValue(Template.Part part) {
    if (part.source().isEmpty()) {
      if (clientBody == null) {
        throw new Failure(FailureKind.MISSING_PARAMETER, "needs a JSON request body");
      }
      return clientBody;
    }
    Object node = walk(clientBody, part.path());
    if (node == null) {
      throw new Failure(FailureKind.MISSING_PARAMETER, "needs body field " + String.join(".", part.path()));
    }
    return node;
  }

  /** The value at {@code path} (field names, or list indexes) inside {@code node}; null when there is none. */
  private static Object walk(Object node, List<String> path) {
    for (String field : path) {
      if (node instanceof JsonObject object) {
        node = object.getValue(field);
      } else if (node instanceof JsonArray array && field.chars().allMatch(Character::isDigit)
          && field.length() < 10 && Integer.parseInt(field) < array.size()) {
        node = array.getValue(Integer.parseInt(field));
      } else {
        node = null;
      }
    }
    return node;
  }

  /** Runs {@code step} on each item only after the previous one finished; the results in order. */
  private static <T, R> Future<List<R>> inTurn(List<T> items, Function<T, Future<R>> step) {
    Future<List<R>> chain = Future.succeededFuture(new ArrayList<>(items.size()));
    for (T item : items) {
      chain = chain.compose(results -> step.apply(item).map(result -> {
        results.add(result);
        return results;
      }));
    }
    return chain;
  }

  private static String encode(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private static Failure failure(Throwable e) {
    return e instanceof Failure f ? f : new Failure(FailureKind.IO, String.valueOf(e.getMessage()));
  }
}
