package dev.gather.proxy;

import dev.gather.http.ApiError;
import dev.gather.http.RequestIds;
import dev.gather.upstream.CallFailure;
import dev.gather.upstream.Admission;
import dev.gather.upstream.Upstream;
import io.vertx.core.Future;
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
import java.util.Set;

/**
 * One proxied request. The upstream has {@code timeoutMs} to start answering; after that, a body that stalls
 * for as long is cut. A failure before the answer starts is a problem+json (502, 503 or 504); one after it
 * resets the client's connection, so that a truncated body never looks complete. When the client goes away
 * the upstream request is reset too.
 */
final class ProxyExchange {
  // Hop-by-hop headers (RFC 9110 7.6.1) and those the client connection sets for itself.
  private static final Set<String> NOT_FORWARDED = Set.of("connection", "keep-alive", "proxy-authenticate",
      "proxy-authorization", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "host");

  private final RoutingContext ctx;
  private final Upstream upstream;
  private final ProxyTarget target;
  private final long timeoutMs;
  private final long began = System.nanoTime();
  private Admission admission;
  private HttpClientRequest outbound;
  private long timer = -1;
  private boolean over;

  ProxyExchange(RoutingContext ctx, Upstream upstream, ProxyTarget target) {
    this.ctx = ctx;
    this.upstream = upstream;
    this.target = target;
    this.timeoutMs = upstream.config().timeoutMs();
  }

  void run() {
    HttpServerRequest in = ctx.request();
    String badHeader = headerWithLineBreak(in.headers());
    if (badHeader != null) {
      throw new ApiError(400, "bad-proxy-target", "refused: header " + badHeader + " holds a CR or LF");
    }
    in.pause(); // the body waits for the upstream connection, then streams to it
    ctx.response().closeHandler(v -> abandon());
    upstream.admit(timeoutMs)
        .compose(admitted -> {
          admission = admitted;
          timer = ctx.vertx().setTimer(Math.max(1, timeoutMs - millisSince(began)), t -> timedOut());
          return upstream.client().request(options());
        })
        .compose(this::send)
        .onSuccess(this::relay)
        .onFailure(this::failBeforeAnswer);
  }

  private RequestOptions options() {
    HttpServerRequest in = ctx.request();
    MultiMap headers = MultiMap.caseInsensitiveMultiMap();
    Set<String> dropped = dropped(in.headers());
    for (Map.Entry<String, String> header : in.headers()) {
      if (!dropped.contains(header.getKey().toLowerCase(Locale.ROOT))) {
        headers.add(header.getKey(), header.getValue());
      }
    }
    String forwardedFor = in.headers().get("X-Forwarded-For");
    String client = in.remoteAddress() == null ? "unknown" : in.remoteAddress().hostAddress();
    headers.set("X-Forwarded-For", forwardedFor == null ? client : forwardedFor + ", " + client);
    headers.set("X-Forwarded-Proto", in.isSSL() ? "https" : "http");
    if (in.headers().get(HttpHeaders.HOST) != null) {
      headers.set("X-Forwarded-Host", in.headers().get(HttpHeaders.HOST));
    }
    headers.set("X-Request-Id", RequestIds.of(ctx));
    headers.set("X-Gather-Deadline-Ms", String.valueOf(timeoutMs));
    return new RequestOptions()
        .setMethod(in.method())
        .setURI(upstream.config().basePath() + target.pathAndQuery())
        .setHeaders(headers)
        .setConnectTimeout(Math.min(upstream.config().connectTimeoutMs(), timeoutMs));
  }

  private Future<HttpClientResponse> send(HttpClientRequest request) {
    outbound = request;
    request.exceptionHandler(this::failBeforeAnswer); // our own resets end here, not in Vert.x's error log
    if (over) {
      request.reset();
      return Future.failedFuture(new CallFailure(CallFailure.TIMEOUT, null, "too late"));
    }
    MultiMap headers = ctx.request().headers();
    boolean hasBody = headers.contains(HttpHeaders.TRANSFER_ENCODING)
        || (headers.contains(HttpHeaders.CONTENT_LENGTH) && !"0".equals(headers.get(HttpHeaders.CONTENT_LENGTH)));
    if (!hasBody) {
      request.headers().remove(HttpHeaders.CONTENT_LENGTH);
      ctx.request().resume();
      return request.send();
    }
    return request.send(ctx.request()); // streams with back-pressure; chunked when no Content-Length was given
  }

  private void relay(HttpClientResponse answer) {
    ctx.vertx().cancelTimer(timer);
    if (over) {
      outbound.reset();
      return;
    }
    outbound.idleTimeout(timeoutMs);
    HttpServerResponse out = ctx.response();
    out.setStatusCode(answer.statusCode());
    if (answer.statusMessage() != null) {
      out.setStatusMessage(answer.statusMessage());
    }
    Set<String> dropped = dropped(answer.headers());
    for (Map.Entry<String, String> header : answer.headers()) {
      if (!dropped.contains(header.getKey().toLowerCase(Locale.ROOT))) {
        out.headers().add(header.getKey(), header.getValue());
      }
    }
    if (!answer.headers().contains(HttpHeaders.CONTENT_LENGTH)) {
      out.setChunked(true);
    }
    answer.pipe().endOnFailure(false).to(out).onComplete(piped -> {
      over = true;
      Throwable failure = piped.failed() ? upstream.transportFailure(piped.cause())
          : answer.statusCode() >= 500 ? new CallFailure(CallFailure.STATUS, answer.statusCode(), "") : null;
      admission.end(failure);
      upstream.record(failure, began);
      if (piped.failed()) {
        outbound.reset();
        out.reset();
      }
    });
  }

  private void timedOut() {
    if (!over) {
      failBeforeAnswer(new CallFailure(CallFailure.TIMEOUT, null,
          upstream.config().name() + " did not start answering within its timeoutMs (" + timeoutMs + " ms)"));
    }
  }

  private void failBeforeAnswer(Throwable e) {
    if (over) {
      return;
    }
    CallFailure failure = upstream.transportFailure(e);
    stop(failure);
    upstream.record(failure, began);
    ctx.request().resume(); // let the server read past the unused body, keeping the connection usable
    ctx.fail(switch (failure.kind()) {
      case CallFailure.SHED -> new ApiError(503, "upstream-shed", failure.getMessage());
      case CallFailure.CIRCUIT_OPEN -> new ApiError(503, "circuit-open", failure.getMessage());
      case CallFailure.TIMEOUT -> new ApiError(504, "upstream-timeout", failure.getMessage());
      default -> new ApiError(502, "upstream-failed", failure.getMessage());
    });
  }

  /** The client left: nothing is waiting for the answer any more. */
  private void abandon() {
    if (!over) {
      stop(new CallFailure(CallFailure.CANCELLED, null, "the client left"));
    }
  }

  /** Ends the exchange early: no timer, the upstream request reset, the turn and breaker pass given back. */
  private void stop(CallFailure why) {
    over = true;
    ctx.vertx().cancelTimer(timer);
    if (outbound != null) {
      outbound.reset();
    }
    if (admission != null) {
      admission.end(why);
    }
  }

  /** Headers not to pass on: the hop-by-hop ones, and those the Connection header names as such. */
  private static Set<String> dropped(MultiMap headers) {
    Set<String> dropped = new HashSet<>(NOT_FORWARDED);
    for (String connection : headers.getAll(HttpHeaders.CONNECTION)) {
      for (String token : connection.split(",")) {
        dropped.add(token.trim().toLowerCase(Locale.ROOT));
      }
    }
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

  private static long millisSince(long began) {
    return (System.nanoTime() - began) / 1_000_000;
  }
}
