package dev.gather.proxy;

import dev.gather.failure.Failure;
import dev.gather.failure.FailureKind;
import dev.gather.http.ApiError;
import dev.gather.http.RequestIds;
import dev.gather.time.Ticker;
import dev.gather.upstream.Admission;
import dev.gather.upstream.CallFailure;
import dev.gather.upstream.Cancellation;
import dev.gather.upstream.Upstream;
import dev.gather.trace.Tracing;
import dev.gather.trace.TrySpans;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import dev.gather.wire.HeaderNames;
import dev.gather.wire.HopByHop;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.RequestOptions;
import io.vertx.ext.web.RoutingContext;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;

/**
 * One proxied request. The upstream has {@code timeoutMs} to start answering; after that, a body that stalls
 * for as long is cut. A failure before the answer starts is a problem+json whose status and type its kind
 * decides (502, 503 or 504, with {@code Retry-After} when an open breaker knows its next probe); one after it
 * resets the client's connection, so that a truncated body never looks complete. When the client goes away
 * the upstream request is reset too. The try is admitted, timed, reset and ended as an aggregate's call is
 * ({@link Upstream#admit}, {@link Upstream#send}, {@link Admission#end}).
 */
final class ProxyExchange {
  /** The client's credentials, forwarded only as far as the upstream's {@code forwardCredentials} says. */
  static final Set<String> CREDENTIALS = Set.of("authorization", "cookie", "x-api-key");

  private final RoutingContext ctx;
  private final Upstream upstream;
  private final ProxyTarget target;
  private final long timeoutMs;
  private final long uploadIdleMs;
  private final Set<String> forwardedCredentials;
  private final Ticker ticker = Ticker.SYSTEM;
  private final long began = ticker.nanoTime();
  /** Cancelled when the client leaves. */
  private final Cancellation clientLeft = new Cancellation();
  private Admission admission;
  private HttpClientRequest outbound;
  /** The exchange's client span; null when tracing is off. */
  private Span span;
  /** Set when the client's upload stalled: the answer is this, not the upstream's failure. */
  private ApiError clientStalled;

  ProxyExchange(RoutingContext ctx, Upstream upstream, ProxyTarget target) {
    this.ctx = ctx;
    this.upstream = upstream;
    this.target = target;
    this.timeoutMs = upstream.config().timeoutMs();
    this.uploadIdleMs = upstream.config().uploadIdleTimeoutMs();
    this.forwardedCredentials = new HashSet<>();
    upstream.config().forwardCredentials().forEach(name -> forwardedCredentials.add(name.toLowerCase(Locale.ROOT)));
  }

  void run() {
    HttpServerRequest in = ctx.request();
    String badHeader = headerWithLineBreak(in.headers());
    if (badHeader != null) {
      throw new ApiError(400, "bad-proxy-target", "refused: header " + badHeader + " holds a CR or LF");
    }
    in.pause(); // the body waits for the upstream connection, then streams to it
    ctx.response().closeHandler(v -> clientLeft.cancel());
    upstream.admit(timeoutMs)
        .compose(admitted -> {
          admission = admitted;
          long leftMs = timeoutMs - ticker.millisSince(began);
          if (leftMs <= 0) {
            return Future.failedFuture(timeout("to be admitted"));
          }
          // No timer around the whole exchange: the upload is timed by its progress, the answer from the
          // upload's end (send), so a slow client's upload is not taken for a slow upstream.
          return upstream.send(upstream.aim(traced(options()), admitted), Long.MAX_VALUE, clientLeft, this::send);
        })
        .onSuccess(this::relay)
        .onFailure(this::failBeforeAnswer);
  }

  private RequestOptions options() {
    HttpServerRequest in = ctx.request();
    MultiMap headers = MultiMap.caseInsensitiveMultiMap();
    Set<String> dropped = dropped(in.headers());
    for (String credential : CREDENTIALS) {
      if (!forwardedCredentials.contains(credential)) {
        dropped.add(credential);
      }
    }
    if (upstream.trySpans() != null) {
      // Tracing is on: the request carries the trace context of gather's own span (traced), not the client's.
      dropped.add("traceparent");
      dropped.add("tracestate");
    }
    for (Map.Entry<String, String> header : in.headers()) {
      if (!dropped.contains(header.getKey().toLowerCase(Locale.ROOT))) {
        headers.add(header.getKey(), header.getValue());
      }
    }
    String forwardedFor = in.headers().get(HeaderNames.FORWARDED_FOR);
    String client = in.remoteAddress() == null ? "unknown" : in.remoteAddress().hostAddress();
    headers.set(HeaderNames.FORWARDED_FOR, forwardedFor == null ? client : forwardedFor + ", " + client);
    headers.set(HeaderNames.FORWARDED_PROTO, in.isSSL() ? "https" : "http");
    if (in.headers().get(HttpHeaders.HOST) != null) {
      headers.set(HeaderNames.FORWARDED_HOST, in.headers().get(HttpHeaders.HOST));
    }
    headers.set(HeaderNames.REQUEST_ID, RequestIds.of(ctx));
    headers.set(HeaderNames.DEADLINE_MS, String.valueOf(timeoutMs));
    return new RequestOptions()
        .setMethod(in.method())
        .setURI(upstream.config().basePath() + target.pathAndQuery())
        .setHeaders(headers);
  }

  /** {@code options} with the trace context of a client span of its own when tracing is on; it ends with the exchange. */
  private RequestOptions traced(RequestOptions options) {
    TrySpans spans = upstream.trySpans();
    if (spans == null) {
      return options;
    }
    span = spans.start(Context.current(), upstream.config().name(), options.getMethod().name(), 1, false);
    span.setAttribute(Tracing.Keys.UPSTREAM, upstream.config().name()); // no source span above it says it
    TrySpans.aimedAt(span, admission.hostName(), admission.hostPort());
    return options.setHeaders(spans.inject(span, options.getHeaders()));
  }

  /** The try is over: its admission counts it, its span (if any) says how it went. */
  private void ended(Failure failure, Integer status) {
    admission.end(failure);
    if (span != null) {
      if (status != null) {
        TrySpans.answered(span, status);
      }
      if (failure != null) {
        span.setAttribute(Tracing.Keys.FAILURE_KIND, failure.kind().wireName());
        span.setStatus(StatusCode.ERROR, failure.detail());
      }
      span.end();
    }
  }

  /**
   * Sends the request, its body streamed from the client's with back-pressure; the answer's head ends the wait.
   * The upload may not stall for longer than the upstream's {@code uploadIdleTimeoutMs} (the client's own stalls
   * also meet http.bodyTimeoutMs), and the answer must start within {@code timeoutMs} once the upload has ended.
   */
  private Future<HttpClientResponse> send(HttpClientRequest request) {
    outbound = request;
    MultiMap headers = ctx.request().headers();
    boolean hasBody = headers.contains(HttpHeaders.TRANSFER_ENCODING)
        || (headers.contains(HttpHeaders.CONTENT_LENGTH) && !"0".equals(headers.get(HttpHeaders.CONTENT_LENGTH)));
    Promise<HttpClientResponse> answer = Promise.promise();
    request.response().onComplete(answer::tryComplete, answer::tryFail);
    if (!hasBody) {
      request.headers().remove(HttpHeaders.CONTENT_LENGTH);
      ctx.request().resume();
      request.end().onComplete(ended -> awaitAnswer(answer, request), answer::tryFail);
      return answer.future();
    }
    if (!request.headers().contains(HttpHeaders.CONTENT_LENGTH)) {
      request.setChunked(true);
    }
    upload(request, answer);
    return answer.future();
  }

  /**
   * Streams the client's body up, timing each stall; the answer's timer starts when the last byte is sent. Who
   * stalled decides the answer: waiting on a full write queue, the upstream stopped reading (504, a gateway
   * timeout, counted against the upstream); otherwise the client stopped sending (408: the request was not
   * complete in the time gather waits, RFC 9110 15.5.9; not the upstream's fault, so not counted against it).
   * Either way the upstream's request is reset, and the unread rest of the body closes the client's connection.
   */
  private void upload(HttpClientRequest request, Promise<HttpClientResponse> answer) {
    HttpServerRequest in = ctx.request();
    long[] lastProgress = {ticker.nanoTime()};
    boolean[] upstreamFull = {false};
    long[] stallTimer = {-1};
    Runnable stopWatching = () -> ctx.vertx().cancelTimer(stallTimer[0]);
    stallTimer[0] = ctx.vertx().setPeriodic(Math.max(1, uploadIdleMs / 4), id -> {
      if (answer.future().isComplete()) {
        ctx.vertx().cancelTimer(id);
      } else if (ticker.millisSince(lastProgress[0]) >= uploadIdleMs) {
        ctx.vertx().cancelTimer(id);
        Throwable stall;
        if (upstreamFull[0]) {
          stall = new CallFailure(FailureKind.TIMEOUT, null, upstream.config().name() + " read nothing of the upload"
              + " for uploadIdleTimeoutMs (" + uploadIdleMs + " ms)");
        } else {
          clientStalled = new ApiError(408, "upload-timeout", "the request body sent nothing for upstreams."
              + upstream.config().name() + ".uploadIdleTimeoutMs (" + uploadIdleMs + " ms)");
          stall = new CallFailure(FailureKind.CANCELLED, null, "the client's upload to " + upstream.config().name()
              + " stalled");
        }
        if (answer.tryFail(stall)) {
          request.reset();
        }
      }
    });
    answer.future().onComplete(done -> stopWatching.run());
    in.handler(chunk -> {
      lastProgress[0] = ticker.nanoTime();
      request.write(chunk);
      if (request.writeQueueFull()) {
        in.pause();
        upstreamFull[0] = true;
        request.drainHandler(drained -> {
          lastProgress[0] = ticker.nanoTime();
          upstreamFull[0] = false;
          in.resume();
        });
      }
    });
    in.exceptionHandler(answer::tryFail);
    in.endHandler(ended -> {
      stopWatching.run();
      request.end().onComplete(sent -> awaitAnswer(answer, request), answer::tryFail);
    });
    in.resume();
  }

  /** The request is all sent: the upstream has {@code timeoutMs} from now for its answer to start. */
  private void awaitAnswer(Promise<HttpClientResponse> answer, HttpClientRequest request) {
    if (answer.future().isComplete()) {
      return;
    }
    long timer = ctx.vertx().setTimer(timeoutMs, id -> {
      if (answer.tryFail(timeout("after the request was sent"))) {
        request.reset();
      }
    });
    answer.future().onComplete(done -> ctx.vertx().cancelTimer(timer));
  }

  private CallFailure timeout(String when) {
    return new CallFailure(FailureKind.TIMEOUT, null, upstream.config().name() + " did not answer within "
        + timeoutMs + " ms " + when);
  }

  private void relay(HttpClientResponse answer) {
    if (clientLeft.cancelled()) {
      outbound.reset();
      ended(clientLeft.reason(), answer.statusCode());
      return;
    }
    // From now on the client leaving cuts the upstream request at once, not at its next write.
    Runnable unregister = clientLeft.onCancel(outbound::reset);
    outbound.idleTimeout(timeoutMs);
    HttpServerResponse out = ctx.response();
    out.setStatusCode(answer.statusCode());
    if (answer.statusMessage() != null) {
      out.setStatusMessage(answer.statusMessage());
    }
    Set<String> dropped = dropped(answer.headers());
    if (out.headers().contains(HeaderNames.REQUEST_ID)) {
      dropped.add(HeaderNames.REQUEST_ID.toString().toLowerCase(Locale.ROOT)); // the upstream's echo of ours would repeat it
    }
    for (Map.Entry<String, String> header : answer.headers()) {
      if (!dropped.contains(header.getKey().toLowerCase(Locale.ROOT))) {
        out.headers().add(header.getKey(), header.getValue());
      }
    }
    if (!answer.headers().contains(HttpHeaders.CONTENT_LENGTH)) {
      out.setChunked(true);
    }
    answer.pipe().endOnFailure(false).to(out).onComplete(piped -> {
      unregister.run();
      Failure failure = piped.failed() ? upstream.transportFailure(piped.cause())
          : answer.statusCode() >= 500 ? new Failure(FailureKind.STATUS, answer.statusCode(), "", OptionalLong.empty())
          : null;
      ended(failure, answer.statusCode());
      if (piped.failed()) {
        outbound.reset();
        out.reset();
      }
    });
  }

  /** Nothing of the answer has gone out yet: the client gets a problem, unless it has already left. */
  private void failBeforeAnswer(Throwable e) {
    Failure failure = upstream.transportFailure(e);
    if (admission != null) {
      ended(failure, failure.upstreamStatus());
    }
    if (clientLeft.cancelled()) {
      return;
    }
    ctx.request().resume(); // let the server read past the unused body, keeping the connection usable
    ctx.fail(clientStalled != null ? clientStalled : failure);
  }

  /** Headers not to pass on: the hop-by-hop ones, those the Connection header names as such, and Host. */
  private static Set<String> dropped(MultiMap headers) {
    Set<String> dropped = HopByHop.names(headers);
    dropped.add("host");
    return dropped;
  }

  private static String headerWithLineBreak(MultiMap headers) {
    for (Map.Entry<String, String> header : headers) {
      if (header.getValue().indexOf('\r') >= 0 || header.getValue().indexOf('\n') >= 0) {
        return header.getKey();
      }
    }
    return null;
  }
}
