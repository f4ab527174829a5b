package dev.gather.fanout;

import dev.gather.config.AggregateConfig;
import dev.gather.config.SourceConfig;
import dev.gather.config.Template;
import dev.gather.config.UpstreamConfig;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import java.net.ConnectException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;

/**
 * One request's execution of an aggregate. Every source is a future that starts as soon as the sources it
 * needs have finished (at once when it needs none); each upstream call gets the smaller of its upstream's
 * timeout and what is left of the request's deadline. Runs on the request's event loop only.
 */
final class AggregateRun {
  static final String DEADLINE_HEADER = "X-Gather-Deadline-Ms";
  static final String REQUEST_ID_HEADER = "X-Request-Id";

  private final AggregateConfig aggregate;
  private final UpstreamClients upstreams;
  private final Map<String, String> params;
  private final MultiMap incomingHeaders;
  private final String requestId;
  private final long deadlineNanos;
  private final Map<String, SourceResult> done = new LinkedHashMap<>();

  /** A successful upstream answer: its decoded JSON and the status it came with. */
  private record Answer(Object data, int status) {}

  AggregateRun(AggregateConfig aggregate, UpstreamClients upstreams, Map<String, String> params,
      MultiMap incomingHeaders, String requestId) {
    this.aggregate = aggregate;
    this.upstreams = upstreams;
    this.params = params;
    this.incomingHeaders = incomingHeaders;
    this.requestId = requestId;
    this.deadlineNanos = System.nanoTime() + aggregate.deadlineMs() * 1_000_000L;
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

  /** One source after another: the baseline that shows what concurrency buys. */
  Future<Map<String, SourceResult>> sequential() {
    Future<SourceResult> chain = Future.succeededFuture();
    for (SourceConfig source : aggregate.sources()) {
      chain = chain.compose(previous -> start(source));
    }
    return chain.map(last -> done);
  }

  private Future<SourceResult> start(SourceConfig source) {
    long began = System.nanoTime();
    List<String> failedNeeds = source.dependencies().stream().filter(d -> !done.get(d).ok()).toList();
    Future<Answer> answer = failedNeeds.isEmpty()
        ? fetch(source)
        : Future.failedFuture(new SourceFailure(SourceResult.DEPENDENCY, null, "needs " + failedNeeds + ", which failed"));
    return answer
        .map(ok -> SourceResult.success(source.name(), ok.data(), ok.status(), millisSince(began), 1))
        .recover(e -> Future.succeededFuture(failure(source.name(), e, millisSince(began))))
        .onSuccess(result -> done.put(source.name(), result));
  }

  /** One call, or one per forEach item; a forEach reports the status of its first call. */
  private Future<Answer> fetch(SourceConfig source) {
    if (source.forEach().isEmpty()) {
      return call(source, Map.of());
    }
    List<Object> items;
    try {
      items = items(source.forEach().get());
    } catch (SourceFailure e) {
      return Future.failedFuture(e);
    }
    List<Future<Answer>> calls = items.stream().map(item -> call(source, Map.of(source.as(), item))).toList();
    return Future.all(calls).map(all -> new Answer(
        new JsonArray(calls.stream().map(call -> call.result().data()).toList()),
        calls.isEmpty() ? 200 : calls.get(0).result().status()));
  }

  /** The list a forEach walks: a JSON array from another source, or a comma-separated request parameter. */
  private List<Object> items(Template.Part reference) {
    if (reference.source().isEmpty()) {
      String raw = params.get(reference.parameter());
      if (raw == null || raw.isBlank()) {
        throw new SourceFailure(SourceResult.MISSING_PARAMETER, null,
            "forEach needs request parameter " + reference.parameter() + " (e.g. ?" + reference.parameter() + "=1,2,3)");
      }
      return Arrays.stream(raw.split(",")).map(String::trim).filter(s -> !s.isEmpty()).map(s -> (Object) s).toList();
    }
    Object value = value(reference, Map.of());
    if (!(value instanceof JsonArray array)) {
      throw new SourceFailure(SourceResult.DEPENDENCY, null,
          "forEach needs a list at " + reference.source().get() + "." + String.join(".", reference.path()));
    }
    return array.getList();
  }

  private Future<Answer> call(SourceConfig source, Map<String, Object> binding) {
    String upstreamName = source.upstream().orElseThrow();
    UpstreamConfig upstream = upstreams.config(upstreamName);
    long remainingMs = (deadlineNanos - System.nanoTime()) / 1_000_000;
    if (remainingMs <= 0) {
      return Future.failedFuture(new SourceFailure(SourceResult.TIMEOUT, null, "the request deadline ("
          + aggregate.deadlineMs() + " ms) passed before the call could start"));
    }
    long timeoutMs = Math.min(upstream.timeoutMs(), remainingMs);
    String uri;
    try {
      uri = upstream.basePath() + render(source.path(), binding);
    } catch (SourceFailure e) {
      return Future.failedFuture(e);
    }
    HttpRequest<Buffer> request = upstreams.client(upstreamName).request(HttpMethod.valueOf(source.method()), uri)
        .timeout(timeoutMs)
        .putHeader(REQUEST_ID_HEADER, requestId)
        .putHeader(DEADLINE_HEADER, String.valueOf(remainingMs));
    for (String header : upstream.forwardHeaders()) {
      List<String> values = incomingHeaders.getAll(header);
      if (!values.isEmpty()) {
        request.putHeader(header, values);
      }
    }
    return request.send()
        .recover(e -> Future.failedFuture(transportFailure(e, upstreamName, timeoutMs)))
        .compose(response -> decode(response, upstream));
  }

  private static Future<Answer> decode(HttpResponse<Buffer> response, UpstreamConfig upstream) {
    int status = response.statusCode();
    if (status < 200 || status > 299) {
      return Future.failedFuture(new SourceFailure(SourceResult.STATUS, status,
          upstream.name() + " answered " + status + (response.statusMessage() == null ? "" : " " + response.statusMessage())));
    }
    Buffer body = response.body();
    if (body == null || body.length() == 0) {
      return Future.succeededFuture(new Answer(null, status));
    }
    if (body.length() > upstream.maxBodyBytes()) {
      return Future.failedFuture(new SourceFailure(SourceResult.TOO_LARGE, status, upstream.name() + " sent "
          + body.length() + " bytes, more than its maxBodyBytes (" + upstream.maxBodyBytes() + ")"));
    }
    try {
      return Future.succeededFuture(new Answer(Json.decodeValue(body), status));
    } catch (DecodeException e) {
      return Future.failedFuture(new SourceFailure(SourceResult.BAD_JSON, status,
          upstream.name() + " answered " + status + " with a body that is not JSON"));
    }
  }

  private static SourceFailure transportFailure(Throwable e, String upstream, long timeoutMs) {
    String message = String.valueOf(e.getMessage());
    if (e instanceof TimeoutException || e.getClass().getSimpleName().contains("Timeout")
        || message.contains("timeout period")) {
      return new SourceFailure(SourceResult.TIMEOUT, null, upstream + " did not answer within " + timeoutMs + " ms");
    }
    if (e instanceof ConnectException) {
      return new SourceFailure(SourceResult.CONNECT, null, "cannot connect to " + upstream + ": " + message);
    }
    if (message.contains("wait queue")) {
      return new SourceFailure(SourceResult.SHED, null, upstream + " has too many calls waiting for a connection");
    }
    return new SourceFailure(SourceResult.IO, null, "call to " + upstream + " failed: " + message);
  }

  private String render(Template template, Map<String, Object> binding) {
    StringBuilder out = new StringBuilder();
    for (Template.Part part : template.parts()) {
      out.append(part.isLiteral() ? part.literal() : encode(String.valueOf(value(part, binding))));
    }
    return out.toString();
  }

  /** A placeholder's value: a forEach item, a request parameter, or a field of a finished source's data. */
  private Object value(Template.Part part, Map<String, Object> binding) {
    if (part.source().isEmpty()) {
      Object value = binding.containsKey(part.parameter()) ? binding.get(part.parameter()) : params.get(part.parameter());
      if (value == null) {
        throw new SourceFailure(SourceResult.MISSING_PARAMETER, null, "needs request parameter " + part.parameter());
      }
      return value;
    }
    Object node = done.get(part.source().get()).data();
    for (String field : part.path()) {
      if (node instanceof JsonObject object) {
        node = object.getValue(field);
      } else if (node instanceof JsonArray array && field.chars().allMatch(Character::isDigit)
          && Integer.parseInt(field) < array.size()) {
        node = array.getValue(Integer.parseInt(field));
      } else {
        node = null;
      }
    }
    if (node == null) {
      throw new SourceFailure(SourceResult.DEPENDENCY, null, "no value at " + part.source().get() + "."
          + String.join(".", part.path()));
    }
    return node;
  }

  private static String encode(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private static SourceResult failure(String name, Throwable e, long ms) {
    if (e instanceof SourceFailure f) {
      return SourceResult.failure(name, f.kind, f.status, f.getMessage(), ms, 1);
    }
    return SourceResult.failure(name, SourceResult.IO, null, String.valueOf(e.getMessage()), ms, 1);
  }

  private static long millisSince(long began) {
    return (System.nanoTime() - began) / 1_000_000;
  }
}
