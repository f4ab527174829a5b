package dev.gather.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gather.Await;
import dev.gather.RunningGather;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What a scanner sends (thousands of requests, each on a new connection, with random paths, methods, query strings
 * and headers) leaves the set of series in {@code /metrics} as it was: only values change.
 */
class MetricsCardinalityTest {
  private static final int CONCURRENCY = 32;
  private static final int SCAN_REQUESTS = 3000;
  /** Well past the client's own 20 s timeouts, which end a request that gets no answer head. */
  private static final long REQUEST_DEADLINE_MS = 25_000;
  private static final int MAX_UNANSWERED = 5;
  /** One lane meeting every deadline the lanes allow, plus the send itself (4 s here). */
  private static final long SEND_BOUND_SECONDS = MAX_UNANSWERED * REQUEST_DEADLINE_MS / 1000 + 60;
  /** Labels whose values gather and HTTP bound (status codes, outcomes): a first 504 may appear in any run. */
  private static final Set<String> BOUNDED_LABELS = Set.of("code", "status", "outcome", "complete", "reason", "result");
  private static final Pattern LABEL = Pattern.compile("(\\w+)=\"((?:[^\"\\\\]|\\\\.)*)\"");
  private static final List<String> METHODS = List.of("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS");
  private static final List<Function<Random, String>> PATHS = List.of(
      r -> "/",
      r -> "/" + word(r) + "/" + word(r),
      r -> "/users/" + word(r),
      r -> "/users/" + r.nextInt(1_000_000),
      r -> "/aggregate/dashboard/" + word(r),
      r -> "/aggregate/" + word(r),
      r -> "/proxy/demo/" + word(r),
      r -> "/proxy/demo/users/" + r.nextInt(1_000_000),
      r -> "/proxy/" + word(r) + "/x",
      r -> "/docs/assets/" + word(r),
      r -> "/jobs/" + word(r),
      r -> "/compute/" + word(r),
      r -> "/metrics/" + word(r));

  private static RunningGather app;
  private static Vertx clients;
  private static HttpClient client;
  private static final List<String> unanswered = new java.util.concurrent.CopyOnWriteArrayList<>();

  @BeforeAll
  static void start() {
    int demoPort = RunningGather.freePort();
    app = RunningGather.start(new JsonObject()
        .put("http", new JsonObject().put("accessLog", false))
        .put("demo", new JsonObject().put("enabled", true).put("host", "127.0.0.1").put("port", demoPort))
        .put("upstreams", new JsonObject().put("demo", new JsonObject()
            .put("url", "http://127.0.0.1:" + demoPort).put("timeoutMs", 2000)))
        .put("queries", new JsonObject().put("account_by_user", "SELECT id, email FROM users WHERE id = $1"))
        .put("aggregates", new JsonObject().put("dashboard", new JsonObject()
            .put("path", "/aggregate/dashboard/:userId")
            .put("sources", new JsonObject()
                .put("profile", new JsonObject().put("upstream", "demo").put("path", "/users/{userId}"))
                .put("account", new JsonObject().put("query", "account_by_user")
                    .put("params", new JsonArray().add("{userId}")))))));
    clients = Vertx.vertx();
    // keep-alive off: every request opens a new connection from a new ephemeral port.
    client = clients.createHttpClient(new HttpClientOptions()
            .setDefaultHost("127.0.0.1").setDefaultPort(app.port).setKeepAlive(false).setConnectTimeout(5000),
        new PoolOptions().setHttp1MaxSize(CONCURRENCY));
  }

  @AfterAll
  static void stop() throws Exception {
    clients.close().await(10, TimeUnit.SECONDS);
    app.close();
  }

  @Test
  void thousandsOfRandomRequestsOnNewConnectionsAddNoSeries() throws Exception {
    Random random = new Random(12);
    // Every kind of path once with every kind of method, so the series they may rightly add exist before the count.
    List<RequestOptions> firstOfEach = new ArrayList<>();
    for (Function<Random, String> path : PATHS) {
      for (String method : List.of("GET", "POST", "DELETE", "HEAD", "OPTIONS", "PUT", "PATCH", token(random))) {
        firstOfEach.add(request(random, HttpMethod.valueOf(method), path.apply(random)));
      }
    }
    send(firstOfEach);
    // Series are counted once they stop changing: the scrape's own appear once it has been answered, and gather
    // counts a request just after its client has the answer.
    Set<String> before = Await.steady("the series after the first of each kind", Duration.ofMillis(300),
        Duration.ofSeconds(10), () -> series(scrape()));

    List<RequestOptions> scan = IntStream.range(0, SCAN_REQUESTS).mapToObj(i -> randomRequest(random)).toList();
    int answered = send(scan);
    Set<String> after = Await.steady("the series after the scan", Duration.ofMillis(300), Duration.ofSeconds(10),
        () -> series(scrape()));

    assertEquals(SCAN_REQUESTS, answered, "every request got an HTTP answer; not: " + unanswered);
    // A series may show up for the first time (a first connection error or reset), but only with label values
    // already in use: a new value of a label is what grows without bound.
    Map<String, Set<String>> valuesInUse = new HashMap<>();
    before.forEach(series -> labels(series).forEach((key, value) -> valuesInUse.computeIfAbsent(key, k -> new HashSet<>()).add(value)));
    List<String> added = after.stream().filter(series -> !before.contains(series))
        .filter(series -> labels(series).entrySet().stream()
            .anyMatch(label -> !valuesInUse.getOrDefault(label.getKey(), Set.of()).contains(label.getValue())))
        .toList();
    assertTrue(added.isEmpty(), added.size() + " new series with new label values after " + SCAN_REQUESTS
        + " requests (" + before.size() + " series before), e.g.\n" + added.stream().limit(20).collect(Collectors.joining("\n")));
    assertTrue(before.contains("vertx_http_server_requests_total{code=\"*\",method=\"GET\",route=\"/users/:id\"}")
        && before.contains("vertx_http_server_requests_total{code=\"*\",method=\"_OTHER\",route=\"\"}"),
        "requests are counted by route template, and unknown methods and unmatched paths each share one label");
  }

  private static Map<String, String> labels(String series) {
    Map<String, String> labels = new HashMap<>();
    Matcher label = LABEL.matcher(series);
    while (label.find()) {
      labels.put(label.group(1), label.group(2));
    }
    return labels;
  }

  private static RequestOptions randomRequest(Random random) {
    String path = PATHS.get(random.nextInt(PATHS.size())).apply(random);
    int pick = random.nextInt(10);
    HttpMethod method = HttpMethod.valueOf(pick < METHODS.size() ? METHODS.get(pick) : token(random));
    return request(random, method, path);
  }

  private static RequestOptions request(Random random, HttpMethod method, String path) {
    String query = switch (random.nextInt(4)) {
      case 0 -> "";
      case 1 -> "?" + word(random) + "=" + word(random);
      case 2 -> "?mode=" + word(random) + "&limit=" + random.nextInt() + "&" + word(random);
      default -> "?ids=" + random.nextInt(100) + "," + word(random) + "&kind=" + word(random);
    };
    RequestOptions options = new RequestOptions().setMethod(method).setURI(path + query).setTimeout(20_000)
        .putHeader("X-" + word(random), word(random))
        .putHeader("X-Request-Id", word(random))
        .putHeader("X-Forwarded-For", random.nextInt(256) + "." + random.nextInt(256) + ".0.1")
        .putHeader("User-Agent", "scanner/" + word(random));
    if (random.nextBoolean()) {
      options.putHeader("Content-Type", random.nextBoolean() ? "application/json" : "text/" + word(random));
    }
    return options;
  }

  /**
   * Sends all, {@link #CONCURRENCY} at a time; returns how many got an answer. Each request has a deadline of its
   * own, kept by a timer of the test and not only by the client's timeouts, so that a request gather never answers
   * is named in {@link #unanswered} instead of stalling the whole send; after {@link #MAX_UNANSWERED} of them the
   * lanes stop taking more, and the event loops' stacks at the first one are printed for the diagnosis.
   */
  private static int send(List<RequestOptions> requests) throws Exception {
    int[] next = {0};
    List<Future<Integer>> lanes = new ArrayList<>();
    for (int i = 0; i < CONCURRENCY; i++) {
      lanes.add(lane(requests, next, 0));
    }
    return Future.all(lanes).await(SEND_BOUND_SECONDS, TimeUnit.SECONDS).<Integer>list().stream()
        .mapToInt(Integer::intValue).sum();
  }

  private static Future<Integer> lane(List<RequestOptions> requests, int[] next, int answered) {
    RequestOptions options;
    synchronized (next) {
      if (next[0] == requests.size() || unanswered.size() >= MAX_UNANSWERED) {
        return Future.succeededFuture(answered);
      }
      options = requests.get(next[0]++);
    }
    boolean withBody = options.getMethod() == HttpMethod.POST || options.getMethod() == HttpMethod.PUT;
    String named = options.getMethod() + " " + options.getURI() + " " + options.getHeaders();
    Promise<Integer> one = Promise.promise();
    // Vert.x's client stops its idle timeout once an answer's head arrives: a body that never ends is caught by
    // this deadline alone, and the head it had is what tells gather's paths apart.
    String[] head = {"no answer head"};
    long deadline = clients.setTimer(REQUEST_DEADLINE_MS, id -> {
      if (one.tryComplete(0)) {
        unanswered(named + ": not answered whole within " + REQUEST_DEADLINE_MS + " ms; " + head[0]);
      }
    });
    // body() is asked for on send()'s own future, not one step further down the chain: there, under load, the step
    // can run after the whole answer has come in, and in Vert.x 5.0.7 a body() asked for after the answer's end
    // never completes (eclipse-vertx/vert.x#6038, fixed in 5.0.11), which left a lane waiting on a full answer.
    client.request(options)
        .compose(request -> (withBody
            ? request.send(Buffer.buffer(new JsonObject().put("kind", "k" + next[0]).put("email", "x").encode()))
            : request.send())
            .compose(response -> {
              head[0] = "head " + response.statusCode() + " " + response.headers().entries();
              return response.body();
            }))
        .onComplete(done -> {
          clients.cancelTimer(deadline);
          if (done.succeeded()) {
            one.tryComplete(1);
          } else if (one.tryComplete(0)) {
            unanswered(named + ": " + done.cause());
          }
        });
    return one.future().compose(n -> lane(requests, next, answered + n));
  }

  private static void unanswered(String request) {
    if (unanswered.isEmpty()) {
      // What gather's threads were doing when the first request went unanswered: the lead for whoever reads this.
      Thread.getAllStackTraces().forEach((thread, stack) -> {
        if (thread.getName().startsWith("vert.x-")) {
          System.err.println(thread.getName() + " " + thread.getState());
          for (StackTraceElement frame : stack) {
            System.err.println("    at " + frame);
          }
        }
      });
    }
    unanswered.add(request);
  }

  private static String scrape() throws Exception {
    return client.request(HttpMethod.GET, "/metrics")
        .compose(request -> request.send().compose(response -> response.body()))
        .await(10, TimeUnit.SECONDS).toString();
  }

  /**
   * {@code name{labels}} of every sample, with the values of bounded labels masked. The JVM's own meters are left
   * out: their labels (GC causes, memory pools) come from the JVM, not from clients.
   */
  private static Set<String> series(String exposition) {
    Set<String> series = new TreeSet<>();
    for (String line : exposition.split("\n")) {
      if (line.isEmpty() || line.startsWith("#") || line.startsWith("jvm_")) {
        continue;
      }
      int labels = line.indexOf('{');
      int end = labels >= 0 ? line.lastIndexOf('}') + 1 : line.indexOf(' ');
      String key = line.substring(0, end);
      Matcher label = LABEL.matcher(key);
      series.add(label.replaceAll(m -> BOUNDED_LABELS.contains(m.group(1))
          ? Matcher.quoteReplacement(m.group(1) + "=\"*\"") : Matcher.quoteReplacement(m.group())));
    }
    return series;
  }

  private static String word(Random random) {
    return Long.toString(random.nextLong() & Long.MAX_VALUE, 36);
  }

  private static String token(Random random) {
    return "X" + Long.toString(random.nextLong() & Long.MAX_VALUE, 36).toUpperCase();
  }
}
