package dev.gather.upstream;

import dev.gather.config.UpstreamConfig;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import java.net.ConnectException;
import java.util.Optional;
import java.util.concurrent.TimeoutException;

/**
 * One upstream for one HTTP verticle instance: a keep-alive client with the upstream's own connection limit
 * (instead of Vert.x's 5 connections and unbounded queue), behind the process-wide limit on calls in flight.
 * Its timeout is a hard one: when it fires, the request is reset, whatever the upstream is still sending.
 */
public final class Upstream {
  public static final String REQUEST_ID = "X-Request-Id";
  public static final String DEADLINE = "X-Gather-Deadline-Ms";

  private final Vertx vertx;
  private final UpstreamConfig config;
  private final UpstreamGuard guard;
  private final HttpClientAgent client;

  /** A decoded JSON answer (null for an empty body), the 2xx status it came with, and how it was got. */
  public record JsonAnswer(Object data, int status, CallStats stats) {
    JsonAnswer with(CallStats stats) {
      return new JsonAnswer(data, status, stats);
    }
  }

  record Reply(int status, String statusMessage, Buffer body) {}

  Upstream(Vertx vertx, UpstreamConfig config, UpstreamGuard guard) {
    this.vertx = vertx;
    this.config = config;
    this.guard = guard;
    this.client = vertx.createHttpClient(
        new HttpClientOptions()
            .setDefaultHost(config.url().getHost())
            .setDefaultPort(config.port())
            .setSsl(config.tls())
            .setKeepAlive(true)
            .setConnectTimeout(config.connectTimeoutMs()),
        // The limiter already bounds calls in flight; the pool's queue only holds those waiting for a socket.
        new PoolOptions()
            .setHttp1MaxSize(config.maxConnections())
            .setMaxWaitQueueSize(config.maxConcurrent()));
  }

  public UpstreamConfig config() {
    return config;
  }

  /**
   * One call whose answer must be a 2xx with a JSON body (or none) of at most maxBodyBytes, within
   * {@code timeoutMs} counted from now, with the upstream's retries, hedging, coalescing and circuit breaker.
   * Fails with a {@link CallFailure}; stops at once, its requests reset, when {@code cancellation} fires.
   */
  public Future<JsonAnswer> fetchJson(HttpMethod method, String pathAndQuery, MultiMap headers, long timeoutMs,
      Cancellation cancellation) {
    String uri = config.basePath() + pathAndQuery;
    if (!config.coalesce() || method != HttpMethod.GET) {
      return new ResilientCall(this, guard, method, uri, headers, timeoutMs, cancellation).run();
    }
    boolean[] joined = new boolean[1];
    return guard.coalescer.share(coalescingKey(uri, headers), vertx.getOrCreateContext(), cancellation, timeoutMs,
            shared -> new ResilientCall(this, guard, method, uri, headers, timeoutMs, shared).run(),
            () -> {
              joined[0] = true;
              guard.metrics.coalesced();
            })
        .map(answer -> joined[0] ? answer.with(new CallStats(0, false, true, false)) : answer)
        .recover(e -> Future.failedFuture(joined[0] && e instanceof CallFailure f
            ? f.with(new CallStats(0, false, true, false)) : e));
  }

  /**
   * Calls are identical when the URI and every header that goes upstream are, except the two that differ on
   * every request by design (request id, remaining budget); so two callers with different credentials never
   * share an answer.
   */
  private static String coalescingKey(String uri, MultiMap headers) {
    StringBuilder key = new StringBuilder(uri);
    headers.entries().stream()
        .filter(h -> !h.getKey().equalsIgnoreCase(REQUEST_ID) && !h.getKey().equalsIgnoreCase(DEADLINE))
        .map(h -> h.getKey().toLowerCase(java.util.Locale.ROOT) + ":" + h.getValue())
        .sorted()
        .forEach(h -> key.append('\n').append(h));
    return key.toString();
  }

  /**
   * Leave for one try: refused at once while the circuit breaker is open ({@code circuit_open}) or when
   * maxQueued calls already wait ({@code shed}); otherwise a turn under maxConcurrent within {@code waitMs}.
   */
  public Future<Admission> admit(long waitMs) {
    Optional<CircuitBreaker.Pass> pass = Optional.empty();
    if (guard.breaker.isPresent()) {
      pass = guard.breaker.get().pass();
      if (pass.isEmpty()) {
        guard.metrics.shortCircuited();
        return Future.failedFuture(new CallFailure(CallFailure.CIRCUIT_OPEN, null, "the circuit breaker of "
            + config.name() + " is open; the next probe goes in " + guard.breaker.get().msUntilProbe() + " ms"));
      }
    }
    Optional<CircuitBreaker.Pass> admitted = pass;
    Context context = vertx.getOrCreateContext();
    return guard.limiter.acquire(context, waitMs)
        .map(permit -> new Admission(permit, admitted))
        .recover(e -> {
          admitted.ifPresent(CircuitBreaker.Pass::abandoned);
          if (e instanceof CallLimiter.Refused refused) {
            if (refused.shed) {
              guard.metrics.shed();
            }
            return Future.failedFuture(new CallFailure(refused.shed ? CallFailure.SHED : CallFailure.TIMEOUT, null,
                e.getMessage()));
          }
          return Future.failedFuture(e);
        });
  }

  /** Counts a finished try, by outcome, in the upstream's meters; a shed or refused one is counted as such only. */
  public void record(Throwable failure, long beganNanos) {
    if (failure instanceof CallFailure f && (f.kind().equals(CallFailure.SHED)
        || f.kind().equals(CallFailure.CIRCUIT_OPEN))) {
      return;
    }
    guard.metrics.call(failure == null ? "ok" : failure instanceof CallFailure f ? f.kind() : CallFailure.IO,
        System.nanoTime() - beganNanos);
  }

  /** The client, for callers that stream (the proxy); they are {@link #admit admitted} first. */
  public HttpClientAgent client() {
    return client;
  }

  /** One HTTP exchange, its body read whole; ended (and its request reset) by the timeout or the cancellation. */
  Future<Reply> exchange(HttpMethod method, String uri, MultiMap headers, long timeoutMs, Cancellation cancellation) {
    if (timeoutMs <= 0) {
      return Future.failedFuture(timeout(timeoutMs));
    }
    Promise<Reply> result = Promise.promise();
    HttpClientRequest[] sent = new HttpClientRequest[1];
    long timer = vertx.setTimer(timeoutMs, t -> {
      if (result.tryFail(timeout(timeoutMs)) && sent[0] != null) {
        sent[0].reset();
      }
    });
    Runnable unregister = cancellation.onCancel(() -> {
      if (result.tryFail(new CallFailure(CallFailure.CANCELLED, null, "the request was cancelled"))
          && sent[0] != null) {
        sent[0].reset();
      }
    });
    client.request(new RequestOptions()
            .setMethod(method)
            .setURI(uri)
            .setHeaders(headers)
            .setConnectTimeout(Math.min(config.connectTimeoutMs(), timeoutMs)))
        .onFailure(e -> result.tryFail(transportFailure(e)))
        .onSuccess(request -> {
          if (result.future().isComplete()) {
            request.reset();
            return;
          }
          sent[0] = request;
          // A reset of our own (timeout, cancellation, a hedge that lost) surfaces here; without a handler
          // Vert.x would log it as an error.
          request.exceptionHandler(e -> result.tryFail(transportFailure(e)));
          request.send()
              .onFailure(e -> result.tryFail(transportFailure(e)))
              .onSuccess(response -> readBody(request, response, result));
        });
    return result.future().onComplete(done -> {
      vertx.cancelTimer(timer);
      unregister.run();
    });
  }

  /** Reads the body up to maxBodyBytes; past that the request is reset rather than read to the end. */
  private void readBody(HttpClientRequest request, HttpClientResponse response, Promise<Reply> result) {
    // First, so that a reset of ours (the body is too large, the timeout) never reaches Vert.x's error log.
    response.exceptionHandler(e -> result.tryFail(transportFailure(e)));
    long limit = config.maxBodyBytes();
    String declared = response.getHeader("Content-Length");
    if (declared != null && declared.chars().allMatch(Character::isDigit) && declared.length() < 19
        && Long.parseLong(declared) > limit) {
      result.tryFail(tooLarge(response.statusCode(), declared + " bytes"));
      request.reset();
      return;
    }
    Buffer body = Buffer.buffer();
    response.handler(chunk -> {
      if (body.length() + chunk.length() > limit) {
        if (result.tryFail(tooLarge(response.statusCode(), "more than " + limit + " bytes"))) {
          request.reset();
        }
      } else {
        body.appendBuffer(chunk);
      }
    });
    response.endHandler(v -> result.tryComplete(new Reply(response.statusCode(), response.statusMessage(), body)));
  }

  Future<JsonAnswer> decode(Reply reply) {
    int status = reply.status();
    if (status < 200 || status > 299) {
      return Future.failedFuture(new CallFailure(CallFailure.STATUS, status, config.name() + " answered " + status
          + (reply.statusMessage() == null ? "" : " " + reply.statusMessage())));
    }
    if (reply.body().length() == 0) {
      return Future.succeededFuture(new JsonAnswer(null, status, CallStats.ONE_TRY));
    }
    try {
      return Future.succeededFuture(new JsonAnswer(Json.decodeValue(reply.body()), status, CallStats.ONE_TRY));
    } catch (DecodeException e) {
      return Future.failedFuture(new CallFailure(CallFailure.BAD_JSON, status,
          config.name() + " answered " + status + " with a body that is not JSON"));
    }
  }

  Vertx vertx() {
    return vertx;
  }

  private CallFailure timeout(long timeoutMs) {
    return new CallFailure(CallFailure.TIMEOUT, null,
        config.name() + " did not answer within " + Math.max(0, timeoutMs) + " ms");
  }

  private CallFailure tooLarge(int status, String size) {
    return new CallFailure(CallFailure.TOO_LARGE, status, config.name() + " sent " + size
        + ", more than its maxBodyBytes (" + config.maxBodyBytes() + ")");
  }

  /** Classifies a failure of the connection or exchange itself (not an answer the upstream gave). */
  public CallFailure transportFailure(Throwable e) {
    String message = String.valueOf(e.getMessage());
    if (e instanceof CallFailure failure) {
      return failure;
    }
    if (e instanceof ConnectException) { // refused, unreachable, or not connected within connectTimeoutMs
      return new CallFailure(CallFailure.CONNECT, null, "cannot connect to " + config.name() + ": " + message);
    }
    if (e instanceof TimeoutException || e.getClass().getSimpleName().contains("Timeout")) {
      return new CallFailure(CallFailure.TIMEOUT, null, config.name() + " did not answer in time: " + message);
    }
    if (message.contains("wait queue")) {
      return new CallFailure(CallFailure.SHED, null, config.name() + " has too many calls waiting for a connection");
    }
    return new CallFailure(CallFailure.IO, null, "call to " + config.name() + " failed: " + message);
  }

  void close() {
    client.close();
  }

  private static long millisSince(long began) {
    return (System.nanoTime() - began) / 1_000_000;
  }
}
