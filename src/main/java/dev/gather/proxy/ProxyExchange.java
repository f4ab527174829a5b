package dev.gather.proxy;

import dev.gather.failure.Failure;
import dev.gather.failure.FailureKind;
import dev.gather.http.ApiError;
import dev.gather.http.RequestIds;
import dev.gather.time.Ticker;
import dev.gather.upstream.Admission;
import dev.gather.upstream.Cancellation;
import dev.gather.upstream.Upstream;
import dev.gather.wire.HeaderNames;
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
  // Hop-by-hop headers (RFC 9110 7.6.1) and those the client connection sets for itself.
  private static final Set<String> NOT_FORWARDED = Set.of("connection", "keep-alive", "proxy-authenticate",
      "proxy-authorization", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "host");

  private final RoutingContext ctx;
  private final Upstream upstream;
  private final ProxyTarget target;
  private final long timeoutMs;
  private final Ticker ticker = Ticker.SYSTEM;
  private final long began = ticker.nanoTime();
  /** Cancelled when the client leaves. */
  private final Cancellation clientLeft = new Cancellation();
  private Admission admission;
  private HttpClientRequest outbound;

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
    ctx.response().closeHandler(v -> clientLeft.cancel());
    upstream.admit(timeoutMs)
        .compose(admitted -> {
          admission = admitted;
          return upstream.send(options(), timeoutMs - ticker.millisSince(began), clientLeft, this::send);
        })
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

  /** Sends the request, its body streamed from the client's; the answer's head ends the wait. */
  private Future<HttpClientResponse> send(HttpClientRequest request) {
    outbound = request;
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
    if (clientLeft.cancelled()) {
      outbound.reset();
      admission.end(clientLeft.reason());
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
      admission.end(failure);
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
      admission.end(failure);
    }
    if (clientLeft.cancelled()) {
      return;
    }
    ctx.request().resume(); // let the server read past the unused body, keeping the connection usable
    ctx.fail(failure);
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
}
