package dev.gather.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.http.HttpMethod;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntFunction;

/**
 * The HTTP server's meters, under the names and labels Vert.x gave them, kept in place of Vert.x's own: those
 * build tags and look every meter up in the registry on every request. Here each meter is made on first use and
 * then found by index (route, method, status), so a request records without hashing a tag.
 * Labels: {@code route} is a route template from the code ({@value #UNMATCHED} when no route matched),
 * {@code method} one HTTP defines or {@value #OTHER_METHOD}, {@code code} a status gather sent.
 */
public final class HttpServerMeters {
  /** The route of a request no route matched, as Vert.x labelled it. */
  public static final String UNMATCHED = "";
  static final String OTHER_METHOD = "_OTHER";
  /** Any token is a valid method, so the label is one of these or {@value #OTHER_METHOD}, never the method sent. */
  private static final HttpMethod[] METHODS = {HttpMethod.GET, HttpMethod.HEAD, HttpMethod.POST, HttpMethod.PUT,
      HttpMethod.PATCH, HttpMethod.DELETE, HttpMethod.OPTIONS, HttpMethod.TRACE, HttpMethod.CONNECT};
  private static final int OTHER = METHODS.length;
  private static final int STATUSES = 600;

  private final MeterRegistry registry;
  private final Map<String, Route> routes = new ConcurrentHashMap<>();
  private final Route unmatched;
  private final PerMethod<LongAdder> active;
  private final PerMethod<Counter> resets;
  private final PerMethod<DistributionSummary> requestBytes;
  private final AtomicLong connections = new AtomicLong();
  private final Counter refusedConnections;

  public HttpServerMeters(MeterRegistry registry) {
    this.registry = registry;
    this.unmatched = route(UNMATCHED);
    this.active = new PerMethod<>(method -> {
      LongAdder requests = new LongAdder();
      Gauge.builder("vertx.http.server.active.requests", requests, LongAdder::doubleValue)
          .description("Number of requests being processed").tag("method", name(method)).register(registry);
      return requests;
    });
    this.resets = new PerMethod<>(method -> Counter.builder("vertx.http.server.request.resets")
        .description("Number of request resets").tag("method", name(method)).register(registry));
    this.requestBytes = new PerMethod<>(method -> DistributionSummary.builder("vertx.http.server.request.bytes")
        .description("Size of requests in bytes").tag("method", name(method)).register(registry));
    Gauge.builder("vertx.http.server.active.connections", connections, AtomicLong::doubleValue)
        .description("Number of opened connections to the server").register(registry);
    refusedConnections = Counter.builder("gather.http.connections.refused")
        .description("Connections closed at once because http.maxConnections were open").register(registry);
  }

  /**
   * Counts a new connection in when fewer than {@code max} are open (the count is the whole process's, every
   * event loop's connections); false, and counted as refused, when it must be closed at once.
   */
  public boolean connected(long max) {
    long open = connections.incrementAndGet();
    if (open > max) {
      connections.decrementAndGet();
      refusedConnections.increment();
      return false;
    }
    return true;
  }

  public void disconnected() {
    connections.decrementAndGet();
  }

  /** The meters of one route template; call it once per route, not per request. */
  public Route route(String template) {
    return routes.computeIfAbsent(template, Route::new);
  }

  public Route unmatched() {
    return unmatched;
  }

  /** The index of a request's method in these meters' tables. */
  public static int method(HttpMethod method) {
    for (int i = 0; i < METHODS.length; i++) {
      if (METHODS[i] == method) {
        return i;
      }
    }
    for (int i = 0; i < METHODS.length; i++) {
      if (METHODS[i].equals(method)) {
        return i;
      }
    }
    return OTHER;
  }

  public void begun(int method) {
    active.get(method).increment();
  }

  /** A request answered in full: it leaves the active ones and counts under its route, method and status. */
  public void answered(Route route, int method, int status, long nanos, long bytesWritten) {
    active.get(method).decrement();
    route.answered(method, status).record(nanos, bytesWritten);
  }

  /** A request whose connection closed before its response was complete: counted apart, as Vert.x did. */
  public void reset(int method) {
    active.get(method).decrement();
    resets.get(method).increment();
  }

  /** The size of a request's body, once it has been read in full. */
  public void requestRead(int method, long bytes) {
    requestBytes.get(method).record(bytes);
  }

  private static String name(int method) {
    return method == OTHER ? OTHER_METHOD : METHODS[method].name();
  }

  /** Per route template: per method, the meters of each status, made when that status is first sent. */
  public final class Route {
    private final String template;
    private final PerMethod<AtomicReferenceArray<Answered>> byStatus =
        new PerMethod<>(method -> new AtomicReferenceArray<>(STATUSES));

    private Route(String template) {
      this.template = template;
    }

    /** The route template these meters count under ({@value #UNMATCHED} for requests no route matched). */
    public String template() {
      return template;
    }

    private Answered answered(int method, int status) {
      if (status < 0 || status >= STATUSES) {
        return new Answered(template, method, status); // the registry hands back the meters it already has
      }
      AtomicReferenceArray<Answered> statuses = byStatus.get(method);
      Answered meters = statuses.get(status);
      if (meters == null) {
        // Made twice by two event loops at once is harmless: the registry hands back the same meters.
        meters = new Answered(template, method, status);
        statuses.set(status, meters);
      }
      return meters;
    }
  }

  private final class Answered {
    private final Timer time;
    private final DistributionSummary bytes;

    Answered(String route, int method, int status) {
      String[] tags = {"route", route, "method", name(method), "code", Integer.toString(status)};
      time = Timer.builder("vertx.http.server.response.time").description("Request processing time")
          .tags(tags).register(registry);
      // The timer counts them already: read, not counted a second time on every request.
      FunctionCounter.builder("vertx.http.server.requests", time, Timer::count)
          .description("Number of processed requests").tags(tags).register(registry);
      bytes = DistributionSummary.builder("vertx.http.server.response.bytes").description("Size of responses in bytes")
          .tags(tags).register(registry);
    }

    void record(long nanos, long bytesWritten) {
      time.record(nanos, TimeUnit.NANOSECONDS);
      bytes.record(bytesWritten);
    }
  }

  /** One value per method index, made on first use so that a method never sent adds no series. */
  private static final class PerMethod<T> {
    private final AtomicReferenceArray<T> values = new AtomicReferenceArray<>(OTHER + 1);
    private final IntFunction<T> make;

    PerMethod(IntFunction<T> make) {
      this.make = make;
    }

    T get(int method) {
      T value = values.get(method);
      if (value == null) {
        synchronized (this) {
          value = values.get(method);
          if (value == null) {
            value = make.apply(method);
            values.set(method, value);
          }
        }
      }
      return value;
    }
  }
}
