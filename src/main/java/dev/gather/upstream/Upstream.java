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
import java.util.concurrent.TimeoutException;

/**
 * One upstream for one HTTP verticle instance: a keep-alive client with the upstream's own connection limit
 * (instead of Vert.x's 5 connections and unbounded queue), behind the process-wide limit on calls in flight.
 * Its timeout is a hard one: when it fires, the request is reset, whatever the upstream is still sending.
 */
public final class Upstream {
  private final Vertx vertx;
  private final UpstreamConfig config;
  private final UpstreamGuard guard;
  private final HttpClientAgent client;

  /** A decoded JSON answer (null for an empty body) and the 2xx status it came with. */
  public record JsonAnswer(Object data, int status) {}

  private record Reply(int status, String statusMessage, Buffer body) {}

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
   * {@code timeoutMs} counted from now, waiting for a turn included. Fails with a {@link CallFailure}.
   */
  public Future<JsonAnswer> fetchJson(HttpMethod method, String pathAndQuery, MultiMap headers, long timeoutMs) {
    long began = System.nanoTime();
    return turn(timeoutMs)
        .compose(permit -> exchange(method, config.basePath() + pathAndQuery, headers, timeoutMs - millisSince(began))
            .onComplete(done -> permit.release()))
        .compose(this::decode)
        .onComplete(done -> record(done.failed() ? done.cause() : null, began));
  }

  /** A turn under maxConcurrent, waiting at most {@code waitMs}; shed at once when maxQueued are waiting. */
  public Future<CallLimiter.Permit> turn(long waitMs) {
    Context context = vertx.getOrCreateContext();
    return guard.limiter.acquire(context, waitMs).recover(e -> {
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

  /** Counts a finished call, by outcome, in the upstream's meters; a shed call is counted as shed only. */
  public void record(Throwable failure, long beganNanos) {
    if (failure instanceof CallFailure f && f.kind().equals(CallFailure.SHED)) {
      return;
    }
    guard.metrics.call(failure == null ? "ok" : failure instanceof CallFailure f ? f.kind() : CallFailure.IO,
        System.nanoTime() - beganNanos);
  }

  /** The client, for callers that stream (the proxy); they take a {@link #turn} first. */
  public HttpClientAgent client() {
    return client;
  }

  private Future<Reply> exchange(HttpMethod method, String uri, MultiMap headers, long timeoutMs) {
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
          request.send()
              .onFailure(e -> result.tryFail(transportFailure(e)))
              .onSuccess(response -> readBody(request, response, result));
        });
    return result.future().onComplete(done -> vertx.cancelTimer(timer));
  }

  /** Reads the body up to maxBodyBytes; past that the request is reset rather than read to the end. */
  private void readBody(HttpClientRequest request, HttpClientResponse response, Promise<Reply> result) {
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
    response.exceptionHandler(e -> result.tryFail(transportFailure(e)));
    response.endHandler(v -> result.tryComplete(new Reply(response.statusCode(), response.statusMessage(), body)));
  }

  private Future<JsonAnswer> decode(Reply reply) {
    int status = reply.status();
    if (status < 200 || status > 299) {
      return Future.failedFuture(new CallFailure(CallFailure.STATUS, status, config.name() + " answered " + status
          + (reply.statusMessage() == null ? "" : " " + reply.statusMessage())));
    }
    if (reply.body().length() == 0) {
      return Future.succeededFuture(new JsonAnswer(null, status));
    }
    try {
      return Future.succeededFuture(new JsonAnswer(Json.decodeValue(reply.body()), status));
    } catch (DecodeException e) {
      return Future.failedFuture(new CallFailure(CallFailure.BAD_JSON, status,
          config.name() + " answered " + status + " with a body that is not JSON"));
    }
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
