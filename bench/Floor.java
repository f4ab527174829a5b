// The floor for bench/run.sh: the same work as gather's benchmarked routes in bare Vert.x 5, to compare against.
// Not part of the product and not compiled by Maven; run it from the fat jar's class path (single-file launch):
//
//   java -cp target/gather.jar bench/Floor.java --port 18090 --upstream http://127.0.0.1:19090 \
//        --db postgresql://postgres@127.0.0.1:5432/gather_bench [--instances 0] [--pool-size 8]
//
// One verticle per event loop (--instances 0: one per core), each with its own HttpServer (no Router), its own
// HttpClient to the upstream and its own database clients, so everything runs on the loop that took the request.
// No envelope, resilience, metrics or logs: what is left is the cost of Vert.x itself.
//
//   GET /              small JSON (gather's GET / builds one too)
//   GET /three0        /delay/0 three times concurrently, bodies concatenated as bytes: {"a":…,"b":…,"c":…}
//   GET /three50       the same with /delay/0.05
//   GET /row/{id}      one user by id through a pooled client (PgBuilder.client(): pipelined, its best form)
//   GET /row-pool/{id} the same through a plain Pool (PgBuilder.pool(): one query per connection at a time)
//   GET /rows          every user, in id order, as one JSON array (through the Pool)
//
// --pool-size is the database connections of the whole process for each client kind (split over the event loops),
// as gather's db.poolSize is.

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.net.URI;
import java.util.HashMap;
import java.util.Map;

public class Floor {
  static final String ONE_ROW = "SELECT id, email, name, created_at, updated_at FROM users WHERE id = $1";
  static final String ALL_ROWS = "SELECT id, email, name, created_at, updated_at FROM users ORDER BY id";

  public static void main(String[] args) {
    Map<String, String> opts = options(args);
    int instances = Integer.parseInt(opts.getOrDefault("instances", "0"));
    int cores = Runtime.getRuntime().availableProcessors();
    int loops = instances > 0 ? instances : cores;
    int poolSize = Integer.parseInt(opts.getOrDefault("pool-size", "8"));
    Settings settings = new Settings(
        opts.getOrDefault("host", "127.0.0.1"),
        Integer.parseInt(opts.getOrDefault("port", "18090")),
        URI.create(required(opts, "upstream")),
        PgConnectOptions.fromUri(required(opts, "db")),
        Math.max(1, poolSize / loops));
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(loops));
    vertx.deployVerticle(() -> new Loop(settings), new DeploymentOptions().setInstances(loops))
        .onSuccess(id -> System.out.println("floor listening on " + settings.host + ":" + settings.port
            + " with " + loops + " event loops, " + settings.connectionsPerLoop + " db connections per loop and client"))
        .onFailure(e -> {
          e.printStackTrace();
          System.exit(1);
        });
  }

  record Settings(String host, int port, URI upstream, PgConnectOptions db, int connectionsPerLoop) {}

  static final class Loop extends VerticleBase {
    private static final Buffer A = Buffer.buffer("{\"a\":");
    private static final Buffer B = Buffer.buffer(",\"b\":");
    private static final Buffer C = Buffer.buffer(",\"c\":");
    private static final Buffer END = Buffer.buffer("}");
    private static final Buffer COMMA = Buffer.buffer(",");
    private static final long STARTED = System.nanoTime();

    private final Settings settings;
    private HttpClient upstream;
    private SqlClient pipelined;
    private Pool pool;

    Loop(Settings settings) {
      this.settings = settings;
    }

    @Override
    public Future<?> start() {
      upstream = vertx.createHttpClient(
          new HttpClientOptions()
              .setDefaultHost(settings.upstream.getHost())
              .setDefaultPort(settings.upstream.getPort())
              .setKeepAlive(true),
          new io.vertx.core.http.PoolOptions().setHttp1MaxSize(1100).setMaxWaitQueueSize(100_000));
      PoolOptions connections = new PoolOptions().setMaxSize(settings.connectionsPerLoop);
      pipelined = PgBuilder.client().with(connections).connectingTo(settings.db).using(vertx).build();
      pool = PgBuilder.pool().with(connections).connectingTo(settings.db).using(vertx).build();
      return vertx.createHttpServer().requestHandler(this::handle).listen(settings.port, settings.host);
    }

    private void handle(HttpServerRequest request) {
      String path = request.path();
      HttpServerResponse response = request.response();
      if (path.equals("/")) {
        json(response, new JsonObject()
            .put("name", "floor")
            .put("uptimeSeconds", (System.nanoTime() - STARTED) / 1_000_000_000L)
            .toBuffer());
      } else if (path.equals("/three0")) {
        three(response, "/delay/0");
      } else if (path.equals("/three50")) {
        three(response, "/delay/0.05");
      } else if (path.startsWith("/row/")) {
        row(response, pipelined, path.substring("/row/".length()));
      } else if (path.startsWith("/row-pool/")) {
        row(response, pool, path.substring("/row-pool/".length()));
      } else if (path.equals("/rows")) {
        // One big result gains nothing from pipelining; the Pool is also how gather's SQL sources run it.
        pool.preparedQuery(ALL_ROWS).execute().onComplete(done -> {
          if (done.failed()) {
            fail(response, done.cause());
            return;
          }
          Buffer body = Buffer.buffer(done.result().size() * 128).appendByte((byte) '[');
          boolean first = true;
          for (Row row : done.result()) {
            if (!first) {
              body.appendBuffer(COMMA);
            }
            first = false;
            body.appendBuffer(row.toJson().toBuffer());
          }
          json(response, body.appendByte((byte) ']'));
        });
      } else {
        response.setStatusCode(404).end();
      }
    }

    private void three(HttpServerResponse response, String uri) {
      Future<Buffer> a = call(uri);
      Future<Buffer> b = call(uri);
      Future<Buffer> c = call(uri);
      Future.all(a, b, c).onComplete(done -> {
        if (done.failed()) {
          fail(response, done.cause());
          return;
        }
        json(response, Buffer.buffer(256).appendBuffer(A).appendBuffer(a.result()).appendBuffer(B)
            .appendBuffer(b.result()).appendBuffer(C).appendBuffer(c.result()).appendBuffer(END));
      });
    }

    private Future<Buffer> call(String uri) {
      return upstream.request(HttpMethod.GET, uri)
          .compose(request -> request.send())
          .compose(HttpClientResponse::body);
    }

    private void row(HttpServerResponse response, SqlClient client, String id) {
      long value;
      try {
        value = Long.parseLong(id);
      } catch (NumberFormatException e) {
        response.setStatusCode(400).end();
        return;
      }
      client.preparedQuery(ONE_ROW).execute(Tuple.of(value)).onComplete(done -> {
        if (done.failed()) {
          fail(response, done.cause());
          return;
        }
        RowSet<Row> rows = done.result();
        if (rows.size() == 0) {
          response.setStatusCode(404).end();
        } else {
          json(response, rows.iterator().next().toJson().toBuffer());
        }
      });
    }

    private static void json(HttpServerResponse response, Buffer body) {
      response.putHeader("Content-Type", "application/json").end(body);
    }

    private static void fail(HttpServerResponse response, Throwable cause) {
      response.setStatusCode(502).end(String.valueOf(cause));
    }
  }

  private static Map<String, String> options(String[] args) {
    Map<String, String> opts = new HashMap<>();
    for (int i = 0; i < args.length; i++) {
      if (!args[i].startsWith("--") || i + 1 == args.length) {
        throw new IllegalArgumentException("expected --name value pairs, got " + String.join(" ", args));
      }
      opts.put(args[i].substring(2), args[++i]);
    }
    return opts;
  }

  private static String required(Map<String, String> opts, String name) {
    String value = opts.get(name);
    if (value == null) {
      throw new IllegalArgumentException("--" + name + " is required");
    }
    return value;
  }
}
