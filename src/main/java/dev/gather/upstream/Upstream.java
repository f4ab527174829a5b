package dev.gather.upstream;

import dev.gather.config.UpstreamConfig;
import dev.gather.failure.Failure;
import dev.gather.failure.FailureKind;
import dev.gather.time.Ticker;
import dev.gather.time.Timers;
import dev.gather.wire.HeaderNames;
import io.netty.util.AsciiString;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import dev.gather.config.TlsConfig;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.tracing.TracingPolicy;
import dev.gather.trace.TrySpans;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.SocketAddress;
import java.net.ConnectException;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * One upstream for one HTTP verticle instance: a keep-alive client with the upstream's own connection limit
 * (instead of Vert.x's 5 connections and unbounded queue), behind the process-wide limit on calls in flight.
 * Its timeout is a hard one: when it fires, the request is reset, whatever the upstream is still sending.
 */
public final class Upstream {
  private static final CallStats JOINED = new CallStats(0, false, true, false);
  /** W3C Trace Context and Baggage headers: per request by nature, so never part of a coalescing key. */
  private static final String TRACEPARENT = "traceparent";
  private static final String TRACESTATE = "tracestate";
  private static final String BAGGAGE = "baggage";
  private static final AttributeKey<Boolean> SHARED_CALL = AttributeKey.booleanKey("gather.shared_call");

  private final Vertx vertx;
  private final UpstreamConfig config;
  private final UpstreamGuard guard;
  private final HttpClientAgent client;
  private final Ticker ticker = Ticker.SYSTEM;
  /** For the per-call timeouts: the wheel. */
  private final Timers timeouts;
  /** For the retry backoff, which is meant to pass: Vert.x's own. */
  private final Timers timers;

  /** What a caller does with a JSON body. */
  public enum JsonBody {
    /** Decoded: a template, a dependency or a forEach reads into it. */
    DECODED,
    /** Only checked as JSON and kept as its bytes ({@link RawJson}): nobody reads into it. */
    CHECKED
  }

  /** An answer read whole; {@code location} is its Location header (null without one). */
  record Reply(int status, String statusMessage, Buffer body, String location, String cacheControl) {}

  Upstream(Vertx vertx, UpstreamConfig config, UpstreamGuard guard) {
    this.vertx = vertx;
    this.config = config;
    this.guard = guard;
    this.timeouts = Timers.timeouts(vertx);
    this.timers = Timers.of(vertx);
    this.client = vertx.createHttpClient(clientOptions(config),
        // The limiter already bounds calls in flight; the pool's queue only holds those waiting for a socket.
        // With HTTP/2 maxConnections counts connections, each carrying up to maxStreams calls at once.
        new PoolOptions()
            .setHttp1MaxSize(config.maxConnections())
            .setHttp2MaxSize(config.maxConnections())
            .setMaxWaitQueueSize(config.maxConcurrent()));
  }

  public UpstreamConfig config() {
    return config;
  }

  /** The spans of this upstream's tries, or null when tracing is off. */
  public TrySpans trySpans() {
    return guard.trySpans;
  }

  /**
   * The client's options: TLS from the upstream's {@code tls} (files checked at start); Vert.x's own decompression
   * when {@code compression} is on, so that readBody counts (and cuts) the decoded bytes; and the protocol. HTTP/2
   * over TLS is chosen by ALPN (an upstream that offers only HTTP/1.1 is still spoken to); h2c is spoken from the
   * first byte (prior knowledge, RFC 9113 3.3), without the HTTP/1.1 Upgrade dance, which would cost every new
   * connection a round trip and cannot carry a request body.
   */
  static HttpClientOptions clientOptions(UpstreamConfig config) {
    HttpClientOptions options = new HttpClientOptions()
        .setDefaultHost(config.url().getHost())
        .setDefaultPort(config.port())
        .setSsl(config.tls())
        .setKeepAlive(true)
        .setConnectTimeout(config.connectTimeoutMs())
        .setDecompressionSupported(config.compression())
        // gather makes each try's client span itself (TrySpans) and sends its trace context; a Vert.x span would
        // be a second one per try, parented through the Vert.x context.
        .setTracingPolicy(TracingPolicy.IGNORE);
    TlsConfig tls = config.tlsConfig();
    if (config.tls()) {
      options.setVerifyHost(tls.verifyHost())
          // A handshake is part of connecting: it gets the same bound, not the 10 s Vert.x default.
          .setSslHandshakeTimeout(config.connectTimeoutMs())
          .setSslHandshakeTimeoutUnit(java.util.concurrent.TimeUnit.MILLISECONDS);
      tls.caFile().ifPresent(ca -> options.setTrustOptions(new PemTrustOptions().addCertPath(ca.toString())));
      if (tls.clientCertificate()) {
        options.setKeyCertOptions(new PemKeyCertOptions()
            .setCertPath(tls.certFile().orElseThrow().toString())
            .setKeyPath(tls.keyFile().orElseThrow().toString()));
      }
      tls.serverName().ifPresent(name -> options.setForceSni(true));
    }
    switch (config.protocol()) {
      case HTTP2 -> options.setProtocolVersion(HttpVersion.HTTP_2).setUseAlpn(true)
          .setHttp2MultiplexingLimit(config.maxStreams());
      case H2C -> options.setProtocolVersion(HttpVersion.HTTP_2).setHttp2ClearTextUpgrade(false)
          .setHttp2MultiplexingLimit(config.maxStreams());
      case HTTP1 -> { }
    }
    return options;
  }

  /**
   * One call whose answer must be a 2xx with a JSON body (or none) of at most maxBodyBytes, within
   * {@code timeoutMs} counted from now, with the upstream's retries, hedging, coalescing and circuit breaker.
   * Fails with a {@link CallFailure}; stops at once, its requests reset, when {@code cancellation} fires.
   */
  public Future<Answer> fetchJson(HttpMethod method, String pathAndQuery, MultiMap headers, long timeoutMs,
      Cancellation cancellation, JsonBody body) {
    return fetchJson(method, pathAndQuery, headers, null, timeoutMs, cancellation, body);
  }

  /**
   * The same, sending {@code requestBody} (null for none); every try sends the same bytes. A call with a body
   * is never coalesced: two requests that carry data are two requests.
   */
  public Future<Answer> fetchJson(HttpMethod method, String pathAndQuery, MultiMap headers, Buffer requestBody,
      long timeoutMs, Cancellation cancellation, JsonBody body) {
    return fetchJson(method, pathAndQuery, headers, requestBody, timeoutMs, cancellation, body, null);
  }

  /**
   * The same, each try traced as a child of {@code trace} (the source's span; null when tracing is off). A call
   * that joins an identical one in flight makes no try of its own: its tries are the shared call's, in the trace
   * of the caller that made it.
   */
  public Future<Answer> fetchJson(HttpMethod method, String pathAndQuery, MultiMap headers, Buffer requestBody,
      long timeoutMs, Cancellation cancellation, JsonBody body, io.opentelemetry.context.Context trace) {
    return fetchJson(method, pathAndQuery, headers, requestBody, timeoutMs, cancellation, body, trace,
        config.coalesce());
  }

  /**
   * The same, coalesced with identical calls in flight when {@code share} (a cached source's calls always are:
   * the many requests that miss together make one call), whatever the upstream's {@code coalesce}.
   */
  public Future<Answer> fetchJson(HttpMethod method, String pathAndQuery, MultiMap headers, Buffer requestBody,
      long timeoutMs, Cancellation cancellation, JsonBody body, io.opentelemetry.context.Context trace,
      boolean share) {
    String uri = config.basePath() + pathAndQuery;
    if (!share || method != HttpMethod.GET || requestBody != null) {
      return new ResilientCall(this, guard, method, uri, headers, timeoutMs, cancellation, body)
          .sending(requestBody).traced(trace).run();
    }
    boolean[] joined = new boolean[1];
    String key = coalescingKey(uri, headers, body);
    return guard.coalescer.share(key, vertx.getOrCreateContext(), cancellation, timeoutMs,
            shared -> {
              if (trace == null) {
                return new ResilientCall(this, guard, method, uri, headers, timeoutMs, shared, body).run();
              }
              SpanContext maker = Span.fromContext(trace).getSpanContext();
              guard.sharedCalls.put(key, maker);
              return new ResilientCall(this, guard, method, uri, headers, timeoutMs, shared, body).traced(trace).run()
                  .onComplete(done -> guard.sharedCalls.remove(key, maker));
            },
            () -> {
              joined[0] = true;
              guard.metrics.coalesced();
              linkToSharedCall(key, trace);
            })
        .map(answer -> joined[0] ? answer.with(JOINED) : answer)
        .recover(e -> {
          // A caller that leaves a shared call is told why its own request ended (its deadline, or its client).
          CallFailure f = cancellation.cancelled() ? CallFailure.of(cancellation.reason()) : CallFailure.of(e);
          return Future.failedFuture(joined[0] ? f.with(JOINED) : f);
        });
  }

  /**
   * A caller that joined another's call links its span to the span of the caller that made it: the tries it
   * waited for are in that other trace. A joiner that comes in the instant between the shared call's start and
   * its span being published gets no link; the call is still marked coalesced.
   */
  private void linkToSharedCall(String key, io.opentelemetry.context.Context trace) {
    if (trace == null) {
      return;
    }
    SpanContext maker = guard.sharedCalls.get(key);
    if (maker != null) {
      Span.fromContext(trace).addLink(maker, Attributes.of(SHARED_CALL, true));
    }
  }

  /**
   * Calls are identical when the URI and every header that goes upstream are, except the two that differ on
   * every request by design (request id, remaining budget, and the trace context a client may forward, which
   * names its own trace); so two callers with different credentials never share an answer. A body kept as bytes
   * is not shared with a caller that needs it decoded, or the reverse.
   */
  static String coalescingKey(String uri, MultiMap headers, JsonBody body) {
    return callKey(headers, new StringBuilder(uri).append('\n').append(body));
  }

  /**
   * The coalescing key of a GET of {@code pathAndQuery} with {@code headers}, without how its body is read: what
   * a cache keeps an answer under (its bytes serve either reading).
   */
  public String cacheKey(String pathAndQuery, MultiMap headers) {
    String uri = config.basePath() + pathAndQuery;
    return callKey(headers, new StringBuilder(uri));
  }

  private static String callKey(MultiMap headers, StringBuilder key) {
    headers.entries().stream()
        .filter(h -> !AsciiString.contentEqualsIgnoreCase(h.getKey(), HeaderNames.REQUEST_ID)
            && !AsciiString.contentEqualsIgnoreCase(h.getKey(), HeaderNames.DEADLINE_MS)
            && !AsciiString.contentEqualsIgnoreCase(h.getKey(), TRACEPARENT)
            && !AsciiString.contentEqualsIgnoreCase(h.getKey(), TRACESTATE)
            && !AsciiString.contentEqualsIgnoreCase(h.getKey(), BAGGAGE))
        .map(h -> h.getKey().toLowerCase(java.util.Locale.ROOT) + ":" + h.getValue())
        .sorted()
        .forEach(h -> key.append('\n').append(h));
    return key.toString();
  }

  /**
   * Leave for one try: refused at once while the circuit breaker is open ({@code circuit_open}, with when its
   * next probe goes as the retry hint) or when maxQueued calls already wait ({@code shed}, with no hint: a
   * queue does not know when a turn frees); otherwise a turn under maxConcurrent within {@code waitMs}. The
   * {@link Admission} counts the try in the meters when it ends; a wait that ran out is counted here.
   */
  public Future<Admission> admit(long waitMs) {
    return admit(waitMs, java.util.Set.of());
  }

  /** The same, for a try whose host should be none of {@code avoid} (those its call has tried) if another will do. */
  Future<Admission> admit(long waitMs, java.util.Collection<HostPicker.Host> avoid) {
    long began = ticker.nanoTime();
    Optional<CircuitBreaker.Pass> pass = Optional.empty();
    if (guard.breaker.isPresent()) {
      pass = guard.breaker.get().pass();
      if (pass.isEmpty()) {
        guard.metrics.shortCircuited();
        long probeInMs = guard.breaker.get().msUntilProbe();
        return Future.failedFuture(new CallFailure(FailureKind.CIRCUIT_OPEN, null, "the circuit breaker of "
            + config.name() + " is open; the next probe goes in " + probeInMs + " ms", OptionalLong.of(probeInMs),
            CallStats.ONE_TRY));
      }
    }
    Optional<CircuitBreaker.Pass> admitted = pass;
    Context context = vertx.getOrCreateContext();
    return guard.limiter.acquire(context, waitMs)
        // The host is picked with the turn in hand, so that least-in-flight sees tries in flight, not waiting.
        .map(permit -> new Admission(permit, admitted, guard.metrics, ticker, began, guard.hosts,
            guard.hosts.pick(avoid)))
        .recover(e -> {
          admitted.ifPresent(CircuitBreaker.Pass::abandoned);
          if (e instanceof CallLimiter.Refused refused) {
            if (refused.shed) {
              guard.metrics.shed();
              return Future.failedFuture(new CallFailure(FailureKind.SHED, null, e.getMessage()));
            }
            guard.metrics.call(FailureKind.TIMEOUT, ticker.nanoTime() - began);
            return Future.failedFuture(new CallFailure(FailureKind.TIMEOUT, null, e.getMessage()));
          }
          return Future.failedFuture(e);
        });
  }

  /**
   * Opens a request with {@code options} and runs {@code exchange} on it (send it, read what the caller needs),
   * within {@code timeoutMs} and while {@code cancellation} holds: whichever ends first fails the exchange
   * (a {@code timeout}, or the cancellation's reason) and resets the request, whatever the upstream is still
   * sending. The same for an aggregate's call (whose exchange reads the whole body) and the proxy (whose
   * exchange ends when the answer starts). A request with a deadline of its own cancels itself when it passes,
   * so a call that would not end sooner than that takes no timer of its own.
   */
  public <T> Future<T> send(RequestOptions options, long timeoutMs, Cancellation cancellation,
      Function<HttpClientRequest, Future<T>> exchange) {
    if (timeoutMs <= 0) {
      return Future.failedFuture(timeout(timeoutMs));
    }
    if (cancellation.cancelled()) { // e.g. the client left while the try waited for its turn
      return Future.failedFuture(stopped(cancellation, timeoutMs));
    }
    Promise<T> result = Promise.promise();
    HttpClientRequest[] sent = new HttpClientRequest[1];
    Timers.Scheduled timer = timeoutMs < cancellation.msLeft()
        ? timeouts.schedule(timeoutMs, () -> cut(result, sent[0], timeout(timeoutMs)))
        : Timers.Scheduled.NONE;
    Runnable unregister = cancellation.onCancel(() -> cut(result, sent[0], stopped(cancellation, timeoutMs)));
    client.request(options.setConnectTimeout(Math.min(config.connectTimeoutMs(), timeoutMs)))
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
          exchange.apply(request).onComplete(done -> {
            if (done.succeeded()) {
              result.tryComplete(done.result());
            } else {
              result.tryFail(transportFailure(done.cause()));
            }
          });
        });
    return result.future().onComplete(done -> {
      timer.cancel();
      unregister.run();
    });
  }

  /**
   * Points {@code options} at the host {@code admission} chose. One client serves every host of the upstream;
   * Vert.x keeps a pool per host, each bounded by maxConnections. With {@code tls.serverName} the connection goes
   * to the host's address while SNI, Host and the certificate check use the name; so too for an address resolved
   * from the URL's host name.
   */
  public RequestOptions aim(RequestOptions options, Admission admission) {
    return aim(options, admission.host());
  }

  private RequestOptions aim(RequestOptions options, HostPicker.Host host) {
    return aim(options, host, config);
  }

  static RequestOptions aim(RequestOptions options, HostPicker.Host host, UpstreamConfig config) {
    // An address resolved from a name (resolveEveryMs) is reached the same way: connect to it, speak to the name.
    Optional<String> name = config.tlsConfig().serverName().or(() -> Optional.ofNullable(host.resolvedFrom));
    if (name.isPresent()) {
      return options.setServer(SocketAddress.inetSocketAddress(host.port, host.host)).setHost(name.get())
          .setPort(host.port);
    }
    return options.setHost(host.host).setPort(host.port);
  }

  /** Why a cancelled request's call ended: its deadline (told as this call's timeout), or its client. */
  private CallFailure stopped(Cancellation cancellation, long timeoutMs) {
    return cancellation.reason().kind() == FailureKind.TIMEOUT
        ? timeout(timeoutMs) : CallFailure.of(cancellation.reason());
  }

  private static void cut(Promise<?> result, HttpClientRequest request, CallFailure why) {
    if (result.tryFail(why) && request != null) {
      request.reset();
    }
  }

  /**
   * One HTTP exchange with the host {@code admission} chose, its body read whole; ended (and its request reset) by
   * the timeout or the cancellation.
   */
  Future<Reply> exchange(Admission admission, HttpMethod method, String uri, MultiMap headers, Buffer requestBody,
      long timeoutMs, Cancellation cancellation) {
    if (config.compression() && !headers.contains(HttpHeaders.ACCEPT_ENCODING)) {
      headers = MultiMap.caseInsensitiveMultiMap().addAll(headers).set(HttpHeaders.ACCEPT_ENCODING, "gzip, deflate");
    }
    long began = ticker.nanoTime();
    HostPicker.Host host = admission.host();
    RequestOptions first = aim(new RequestOptions().setMethod(method).setURI(uri).setHeaders(headers), host);
    return hop(first, requestBody, timeoutMs, cancellation, host, origin(uri, host), config.followRedirects(), began);
  }

  /**
   * One request of an exchange, and the redirects it is told to follow, all inside the one timeout. Redirects are
   * followed here rather than by Vert.x's {@code setFollowRedirects}: Vert.x sends the next request itself, out of
   * reach of the reset that ends a timed-out or cancelled call, and reads no bound on the 3xx's body.
   */
  private Future<Reply> hop(RequestOptions options, Buffer requestBody, long timeoutMs, Cancellation cancellation,
      HostPicker.Host host, URI at, int redirectsLeft, long began) {
    return send(options, timeoutMs - ticker.millisSince(began), cancellation,
        request -> (requestBody == null ? request.send() : request.send(requestBody))
            .compose(response -> readBody(request, response)))
        .compose(reply -> {
          if (redirectsLeft <= 0 || !isRedirect(reply.status()) || reply.location() == null || at == null) {
            return Future.succeededFuture(reply); // a 3xx not followed is the answer, reported as a status
          }
          HttpMethod method = options.getMethod();
          boolean keepsMethod = reply.status() == 307 || reply.status() == 308;
          if (!keepsMethod && reply.status() != 303 && method != HttpMethod.GET && method != HttpMethod.HEAD) {
            return Future.succeededFuture(reply); // 301/302 after a POST: which method follows is anyone's guess
          }
          URI next;
          try {
            next = at.resolve(new URI(reply.location().trim()));
          } catch (URISyntaxException | IllegalArgumentException e) {
            return Future.failedFuture(redirectRefused(reply, "to \"" + reply.location() + "\", not a URI"));
          }
          if (!"http".equalsIgnoreCase(next.getScheme()) && !"https".equalsIgnoreCase(next.getScheme())
              || next.getHost() == null) {
            return Future.failedFuture(redirectRefused(reply, "to " + next + ", not an http(s) URL"));
          }
          if ("https".equalsIgnoreCase(at.getScheme()) && "http".equalsIgnoreCase(next.getScheme())) {
            return Future.failedFuture(redirectRefused(reply, "from https down to " + next));
          }
          if (!config.redirectAllowedTo(next.getHost())) {
            return Future.failedFuture(redirectRefused(reply, "to host " + next.getHost()
                + ", which is not the upstream's own nor listed in upstreams." + config.name() + ".redirectHosts"));
          }
          MultiMap headers = MultiMap.caseInsensitiveMultiMap().addAll(options.getHeaders());
          if (!next.getHost().equalsIgnoreCase(at.getHost())) {
            // The caller's credentials were meant for the host they were sent to, not for wherever it points.
            UpstreamConfig.CREDENTIAL_HEADERS.forEach(headers::remove);
          }
          boolean toGet = !keepsMethod && method != HttpMethod.HEAD;
          if (toGet) {
            headers.remove(HttpHeaders.CONTENT_LENGTH).remove(HttpHeaders.CONTENT_TYPE);
          }
          RequestOptions follow = new RequestOptions().setMethod(toGet ? HttpMethod.GET : method).setHeaders(headers);
          if (sameServer(next, at)) { // the host the call was aimed at, reached the same way (serverName included)
            aim(follow.setURI(next.getRawPath() + (next.getRawQuery() == null ? "" : "?" + next.getRawQuery())), host);
          } else {
            follow.setAbsoluteURI(next.toString());
          }
          return hop(follow, toGet ? null : requestBody, timeoutMs, cancellation, host, next, redirectsLeft - 1, began);
        });
  }

  private static boolean isRedirect(int status) {
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
  }

  private static boolean sameServer(URI next, URI at) {
    return next.getScheme().equalsIgnoreCase(at.getScheme()) && next.getHost().equalsIgnoreCase(at.getHost())
        && UpstreamConfig.port(next) == UpstreamConfig.port(at);
  }

  /** Where a call's own URI points on its host, to resolve a relative Location against; null if it is no URI. */
  private URI origin(String uri, HostPicker.Host host) {
    if (config.followRedirects() == 0) {
      return null;
    }
    try {
      return new URI(config.url().getScheme() + "://" + config.tlsConfig().serverName().orElse(host.name()) + ":"
          + host.port + uri);
    } catch (URISyntaxException e) {
      return null;
    }
  }

  private CallFailure redirectRefused(Reply reply, String where) {
    return new CallFailure(FailureKind.STATUS, reply.status(), config.name() + " answered " + reply.status()
        + " redirecting " + where + "; not followed");
  }

  /** Reads the body up to maxBodyBytes; past that the request is reset rather than read to the end. */
  private Future<Reply> readBody(HttpClientRequest request, HttpClientResponse response) {
    Promise<Reply> result = Promise.promise();
    // First, so that a reset of ours (the body is too large, the timeout) never reaches Vert.x's error log.
    response.exceptionHandler(e -> result.tryFail(transportFailure(e)));
    long limit = config.maxBodyBytes();
    String declared = response.getHeader("Content-Length");
    if (declared != null && declared.chars().allMatch(Character::isDigit) && declared.length() < 19
        && Long.parseLong(declared) > limit) {
      result.tryFail(tooLarge(response.statusCode(), declared + " bytes"));
      request.reset();
      return result.future();
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
    response.endHandler(v -> result.tryComplete(new Reply(response.statusCode(), response.statusMessage(), body,
        response.getHeader(HttpHeaders.LOCATION), response.getHeader(HttpHeaders.CACHE_CONTROL))));
    return result.future();
  }

  Future<Answer> decode(Reply reply, JsonBody use) {
    int status = reply.status();
    if (status < 200 || status > 299) {
      return Future.failedFuture(new CallFailure(FailureKind.STATUS, status, config.name() + " answered " + status
          + (reply.statusMessage() == null ? "" : " " + reply.statusMessage())));
    }
    try {
      return Future.succeededFuture(answer(reply.body(), status, reply.cacheControl(), use, CallStats.ONE_TRY));
    } catch (DecodeException e) {
      return Future.failedFuture(new CallFailure(FailureKind.BAD_JSON, status,
          config.name() + " answered " + status + " with a body that is not JSON"));
    }
  }

  /**
   * The answer a 2xx {@code body} makes, decoded or checked as {@code use} asks: for a body read from the wire,
   * and for one a cache kept (which was checked when it came). Fails with a DecodeException when it is not JSON.
   */
  public static Answer answer(Buffer body, int status, String cacheControl, JsonBody use, CallStats stats) {
    if (body.length() == 0) {
      return new Answer(null, status, stats, body, cacheControl);
    }
    Object data = use == JsonBody.DECODED ? Json.decodeValue(body) : RawJson.checked(body);
    return new Answer(data, status, stats, body, cacheControl);
  }

  Vertx vertx() {
    return vertx;
  }

  Timers timers() {
    return timers;
  }

  Ticker ticker() {
    return ticker;
  }

  private CallFailure timeout(long timeoutMs) {
    return new CallFailure(FailureKind.TIMEOUT, null,
        config.name() + " did not answer within " + Math.max(0, timeoutMs) + " ms");
  }

  private CallFailure tooLarge(int status, String size) {
    return new CallFailure(FailureKind.TOO_LARGE, status, config.name() + " sent " + size
        + ", more than its maxBodyBytes (" + config.maxBodyBytes() + ")");
  }

  /** Classifies a failure of the connection or exchange itself (not an answer the upstream gave). */
  public CallFailure transportFailure(Throwable e) {
    if (e instanceof Failure) {
      return CallFailure.of(e);
    }
    String message = String.valueOf(e.getMessage());
    Optional<CallFailure> tls = TlsFailures.classify(config.name(), e);
    if (tls.isPresent()) {
      return tls.get();
    }
    if (e instanceof ConnectException) { // refused, unreachable, or not connected within connectTimeoutMs
      return new CallFailure(FailureKind.CONNECT, null, "cannot connect to " + config.name() + ": " + message);
    }
    if (e instanceof TimeoutException || e.getClass().getSimpleName().contains("Timeout")) {
      return new CallFailure(FailureKind.TIMEOUT, null, config.name() + " did not answer in time: " + message);
    }
    if (message.contains("wait queue")) {
      return new CallFailure(FailureKind.SHED, null, config.name() + " has too many calls waiting for a connection");
    }
    return new CallFailure(FailureKind.IO, null, "call to " + config.name() + " failed: " + message);
  }

  void close() {
    client.close();
  }
}
