package dev.gather.fanout;

import dev.gather.config.AggregateConfig;
import dev.gather.config.SourceConfig;
import dev.gather.config.Template;
import dev.gather.db.NamedQueries;
import dev.gather.failure.Failure;
import dev.gather.failure.FailureKind;
import dev.gather.upstream.CallFailure;
import dev.gather.upstream.CallStats;
import dev.gather.upstream.Cancellation;
import dev.gather.upstream.Upstream;
import dev.gather.upstream.Upstreams;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * One request's execution of an aggregate. Every source is a future that starts as soon as the sources it
 * needs have finished (at once when it needs none); each call gets the smaller of its own timeout and what is
 * left of the request's deadline. In sequential mode everything, forEach items included, runs one at a time.
 * Runs on the request's event loop only.
 */
final class AggregateRun {

  private final AggregateConfig aggregate;
  private final Upstreams upstreams;
  private final NamedQueries queries;
  private final long queryTimeoutMs;
  private final Map<String, String> params;
  private final MultiMap incomingHeaders;
  private final String requestId;
  private final long deadlineNanos;
  private final Map<String, SourceResult> done = new LinkedHashMap<>();
  private final Cancellation cancellation = new Cancellation();
  private boolean sequential;

  /** What one call or query gave: its data, the status it came with (200 for SQL), and how it was got. */
  private record Answer(Object data, int status, CallStats stats) {}

  AggregateRun(AggregateConfig aggregate, Upstreams upstreams, NamedQueries queries, long queryTimeoutMs,
      Map<String, String> params, MultiMap incomingHeaders, String requestId) {
    this.aggregate = aggregate;
    this.upstreams = upstreams;
    this.queries = queries;
    this.queryTimeoutMs = queryTimeoutMs;
    this.params = params;
    this.incomingHeaders = incomingHeaders;
    this.requestId = requestId;
    this.deadlineNanos = System.nanoTime() + aggregate.deadlineMs() * 1_000_000L;
  }

  /** Stops every call in flight, and every source not started yet; for a client that has gone away. */
  void cancel() {
    cancellation.cancel();
  }

  /** All sources at once, each waiting only for what it needs. */
  Future<Map<String, SourceResult>> concurrent() {
    Map<String, Future<SourceResult>> started = new LinkedHashMap<>();
    for (SourceConfig source : aggregate.sources()) { // dependency order: what it needs is already started
      List<Future<SourceResult>> needs = source.dependencies().stream().map(started::get).toList();
      started.put(source.name(), Future.all(needs).compose(ready -> start(source)));
    }
    return Future.all(new ArrayList<>(started.values())).map(all -> done);
  }

  /** One call after another: the baseline that shows what concurrency buys. */
  Future<Map<String, SourceResult>> sequential() {
    sequential = true;
    return inTurn(aggregate.sources(), this::start).map(all -> done);
  }

  private Future<SourceResult> start(SourceConfig source) {
    long began = System.nanoTime();
    List<String> failedNeeds = source.dependencies().stream().filter(d -> !done.get(d).ok()).toList();
    Future<Answer> answer;
    if (cancellation.cancelled()) {
      answer = Future.failedFuture(new CallFailure(CallFailure.CANCELLED, null, "the request was cancelled"));
    } else if (!failedNeeds.isEmpty()) {
      answer = Future.failedFuture(new CallFailure(SourceResult.DEPENDENCY, null, "needs " + failedNeeds + ", which failed"));
    } else {
      answer = fetch(source);
    }
    return answer
        .map(ok -> SourceResult.success(source.name(), ok.data(), ok.status(), millisSince(began), ok.stats()))
        .recover(e -> Future.succeededFuture(failure(source.name(), e, millisSince(began))))
        .onSuccess(result -> done.put(source.name(), result));
  }

  /** One call, or one per forEach item; a forEach answers the list of its items' data, in order. */
  private Future<Answer> fetch(SourceConfig source) {
    if (source.forEach().isEmpty()) {
      return call(source, Map.of());
    }
    List<Object> items;
    try {
      items = items(source.forEach().get());
    } catch (CallFailure e) {
      return Future.failedFuture(e);
    }
    Function<Object, Future<Answer>> callOne = item -> call(source, Map.of(source.as(), item));
    Future<List<Answer>> answers = sequential
        ? inTurn(items, callOne)
        : Future.all(items.stream().map(callOne).toList()).map(all -> all.<Answer>list());
    return answers.map(all -> new Answer(
        new JsonArray(all.stream().map(Answer::data).toList()), all.isEmpty() ? 200 : all.get(0).status(),
        all.stream().map(Answer::stats).reduce(CallStats::plus).orElse(new CallStats(0, false, false, false))));
  }

  /** The list a forEach walks: a JSON array from another source, or a comma-separated request parameter. */
  private List<Object> items(Template.Part reference) {
    if (reference.source().isEmpty()) {
      String raw = params.get(reference.parameter());
      if (raw == null || raw.isBlank()) {
        throw new CallFailure(SourceResult.MISSING_PARAMETER, null,
            "forEach needs request parameter " + reference.parameter() + " (e.g. ?" + reference.parameter() + "=1,2,3)");
      }
      return Arrays.stream(raw.split(",")).map(String::trim).filter(s -> !s.isEmpty()).map(s -> (Object) s).toList();
    }
    Object value = value(reference, Map.of());
    if (!(value instanceof JsonArray array)) {
      throw new CallFailure(SourceResult.DEPENDENCY, null,
          "forEach needs a list at " + reference.source().get() + "." + String.join(".", reference.path()));
    }
    return array.getList();
  }

  private Future<Answer> call(SourceConfig source, Map<String, Object> binding) {
    long remainingMs = remainingMs();
    if (remainingMs <= 0) {
      return Future.failedFuture(new CallFailure(CallFailure.TIMEOUT, null, "the request deadline ("
          + aggregate.deadlineMs() + " ms) passed before the call could start"));
    }
    try {
      return source.query().isPresent()
          ? query(source, binding, remainingMs)
          : request(source, binding, remainingMs);
    } catch (CallFailure e) {
      return Future.failedFuture(e);
    }
  }

  private Future<Answer> request(SourceConfig source, Map<String, Object> binding, long remainingMs) {
    Upstream upstream = upstreams.get(source.upstream().orElseThrow());
    MultiMap headers = MultiMap.caseInsensitiveMultiMap()
        .add(Upstream.REQUEST_ID, requestId)
        .add(Upstream.DEADLINE, String.valueOf(remainingMs));
    for (String header : upstream.config().forwardHeaders()) {
      List<String> values = incomingHeaders.getAll(header);
      if (!values.isEmpty()) {
        headers.add(header, values);
      }
    }
    return upstream.fetchJson(HttpMethod.valueOf(source.method()), renderPath(source.path(), binding), headers,
            Math.min(upstream.config().timeoutMs(), remainingMs), cancellation)
        .map(answer -> new Answer(answer.data(), answer.status(), answer.stats()));
  }

  private Future<Answer> query(SourceConfig source, Map<String, Object> binding, long remainingMs) {
    List<Object> values = source.params().stream().map(param -> parameterValue(param, binding)).toList();
    long timeoutMs = Math.min(queryTimeoutMs, remainingMs);
    String name = source.query().get();
    return queries.run(name, values, timeoutMs)
        .map(rows -> new Answer(rows, 200, CallStats.ONE_TRY))
        .recover(e -> Future.failedFuture(queryFailure(name, e, timeoutMs)));
  }

  /** The database's own kinds are the source's; anything else it says about the query is query_failed. */
  private static CallFailure queryFailure(String query, Throwable e, long timeoutMs) {
    FailureKind kind = e instanceof Failure failure ? failure.kind() : FailureKind.QUERY_FAILED;
    return switch (kind) {
      case TIMEOUT -> new CallFailure(CallFailure.TIMEOUT, null,
          "query " + query + " did not finish within " + timeoutMs + " ms");
      case UNAVAILABLE -> new CallFailure(SourceResult.UNAVAILABLE, null, "query " + query + ": the database is unavailable");
      case BAD_PARAMETER -> new CallFailure(SourceResult.BAD_PARAMETER, null, e.getMessage());
      default -> new CallFailure(SourceResult.QUERY_FAILED, null, "query " + query + " failed: " + e.getMessage());
    };
  }

  /** A template that is one placeholder keeps its JSON type (a number stays a number); anything else is text. */
  private Object parameterValue(Template template, Map<String, Object> binding) {
    if (template.parts().size() == 1 && !template.parts().get(0).isLiteral()) {
      return value(template.parts().get(0), binding);
    }
    return render(template, binding, Function.identity());
  }

  /** A path: every placeholder's value percent-encoded, so that no value can add a segment or a query. */
  private String renderPath(Template template, Map<String, Object> binding) {
    return render(template, binding, AggregateRun::encode);
  }

  private String render(Template template, Map<String, Object> binding, Function<String, String> escape) {
    StringBuilder out = new StringBuilder();
    for (Template.Part part : template.parts()) {
      out.append(part.isLiteral() ? part.literal() : escape.apply(String.valueOf(value(part, binding))));
    }
    return out.toString();
  }

  /** A placeholder's value: a forEach item, a request parameter, or a field of a finished source's data. */
  private Object value(Template.Part part, Map<String, Object> binding) {
    if (part.source().isEmpty()) {
      Object value = binding.containsKey(part.parameter()) ? binding.get(part.parameter()) : params.get(part.parameter());
      if (value == null) {
        throw new CallFailure(SourceResult.MISSING_PARAMETER, null, "needs request parameter " + part.parameter());
      }
      return value;
    }
    Object node = done.get(part.source().get()).data();
    for (String field : part.path()) {
      if (node instanceof JsonObject object) {
        node = object.getValue(field);
      } else if (node instanceof JsonArray array && field.chars().allMatch(Character::isDigit)
          && field.length() < 10 && Integer.parseInt(field) < array.size()) {
        node = array.getValue(Integer.parseInt(field));
      } else {
        node = null;
      }
    }
    if (node == null) {
      throw new CallFailure(SourceResult.DEPENDENCY, null, "no value at " + part.source().get() + "."
          + String.join(".", part.path()));
    }
    return node;
  }

  private long remainingMs() {
    return (deadlineNanos - System.nanoTime()) / 1_000_000;
  }

  /** Runs {@code step} on each item only after the previous one finished; the results in order. */
  private static <T, R> Future<List<R>> inTurn(List<T> items, Function<T, Future<R>> step) {
    List<R> results = new ArrayList<>(items.size());
    Future<Void> chain = Future.succeededFuture();
    for (T item : items) {
      chain = chain.compose(previous -> step.apply(item)).map(result -> {
        results.add(result);
        return null;
      });
    }
    return chain.map(last -> results);
  }

  private static String encode(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private static SourceResult failure(String name, Throwable e, long ms) {
    if (e instanceof CallFailure f) {
      return SourceResult.failure(name, f.kind(), f.status(), f.getMessage(), ms, f.stats());
    }
    return SourceResult.failure(name, CallFailure.IO, null, String.valueOf(e.getMessage()), ms, CallStats.ONE_TRY);
  }

  private static long millisSince(long began) {
    return (System.nanoTime() - began) / 1_000_000;
  }
}
