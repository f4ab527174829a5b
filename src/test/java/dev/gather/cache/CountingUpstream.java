package dev.gather.cache;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** A loopback upstream that answers every path with its name and how many times it was called, counting in {@code calls}. */
final class CountingUpstream {
  private CountingUpstream() {}

  static HttpServer start(Vertx vertx, Map<String, AtomicInteger> calls) throws Exception {
    return vertx.createHttpServer().requestHandler(request -> {
      int n = calls.computeIfAbsent(request.path(), p -> new AtomicInteger()).incrementAndGet();
      request.response().putHeader("Content-Type", "application/json")
          .end("{\"path\":\"" + request.path() + "\",\"call\":" + n + "}");
    }).listen(0, "127.0.0.1").await(5, TimeUnit.SECONDS);
  }
}
