package dev.gather.dns;

import dev.gather.config.DnsConfig;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.dns.DnsClient;
import io.vertx.core.dns.DnsClientOptions;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Resolves a host name into every address it has (A and AAAA records), asking the configured DNS servers in turn
 * until one answers, each within {@code dns.timeoutMs}; non-blocking (Vert.x's DnsClient, not the JDK's
 * InetAddress, which blocks a thread and caches as it likes). One per process. The name is asked as given: the
 * DnsClient applies no search domains, so a name must be fully qualified ({@code users.prod.svc.cluster.local}).
 */
public final class DnsResolver {
  private final Vertx vertx;
  private final List<DnsClient> clients = new ArrayList<>();
  private final List<String> servers = new ArrayList<>();
  private final long timeoutMs;

  public DnsResolver(Vertx vertx, DnsConfig config) {
    this.vertx = vertx;
    this.timeoutMs = config.timeoutMs();
    if (config.servers().isEmpty()) {
      // No host: Vert.x asks the first name server of its address resolver, read from /etc/resolv.conf.
      clients.add(vertx.createDnsClient(new DnsClientOptions().setQueryTimeout(timeoutMs)));
      servers.add("the system's name server");
    }
    for (DnsConfig.Server server : config.servers()) {
      clients.add(vertx.createDnsClient(new DnsClientOptions().setHost(server.address()).setPort(server.port())
          .setQueryTimeout(timeoutMs)));
      servers.add(server.toString());
    }
  }

  /**
   * Every address of {@code name}: its A records, then its AAAA records, each once; empty when the server that
   * answered knows none. Fails when no server answered within the timeout, naming what each said.
   */
  public Future<List<String>> addresses(String name) {
    return ask(name, 0, new ArrayList<>());
  }

  private Future<List<String>> ask(String name, int server, List<String> failures) {
    if (server == clients.size()) {
      return Future.failedFuture(new DnsFailure("no DNS server answered for " + name + ": "
          + String.join("; ", failures)));
    }
    DnsClient client = clients.get(server);
    Future<List<String>> v4 = client.resolveA(name);
    Future<List<String>> v6 = client.resolveAAAA(name);
    return bounded(Future.join(v4, v6), name).transform(done -> {
      if (v4.succeeded() || v6.succeeded()) {
        Set<String> all = new LinkedHashSet<>();
        if (v4.succeeded()) {
          all.addAll(v4.result());
        }
        if (v6.succeeded()) {
          all.addAll(v6.result());
        }
        return Future.succeededFuture(List.copyOf(all));
      }
      Throwable why = v4.failed() ? v4.cause() : done.cause();
      failures.add(servers.get(server) + " " + (why == null ? "did not answer" : why.getMessage()));
      return ask(name, server + 1, failures);
    });
  }

  /**
   * The client's own query timeout should end both queries; this bound is in case it does not, so that a lost
   * timer can never leave a resolution hanging (and its upstream never resolved again).
   */
  private Future<?> bounded(Future<?> queries, String name) {
    Promise<Void> done = Promise.promise();
    long timer = vertx.setTimer(timeoutMs + 100, t -> done.tryFail("no answer for " + name + " within "
        + timeoutMs + " ms"));
    queries.onComplete(result -> {
      vertx.cancelTimer(timer);
      done.tryComplete();
    });
    return done.future();
  }

  /** No DNS server answered: the name's addresses are unknown, not absent. */
  public static final class DnsFailure extends RuntimeException {
    DnsFailure(String message) {
      super(message, null, false, false);
    }
  }
}
