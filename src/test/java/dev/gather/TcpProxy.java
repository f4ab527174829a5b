package dev.gather;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import java.util.HashSet;
import java.util.Set;

/**
 * A real TCP hop between gather and PostgreSQL that a test can cut and restore, to play "the database went
 * away" without stopping a server other tests share.
 */
public final class TcpProxy {
  private final Vertx vertx;
  private final String targetHost;
  private final int targetPort;
  private final int port;
  private final NetClient client;
  private final Set<NetSocket> open = new HashSet<>();
  private NetServer server;

  public TcpProxy(Vertx vertx, String targetHost, int targetPort) {
    this.vertx = vertx;
    this.targetHost = targetHost;
    this.targetPort = targetPort;
    this.port = RunningGather.freePort();
    this.client = vertx.createNetClient();
  }

  public int port() {
    return port;
  }

  public Future<Void> start() {
    server = vertx.createNetServer().connectHandler(this::relay);
    return server.listen(port, "127.0.0.1").mapEmpty();
  }

  /** Stops listening and kills every relayed connection, as a crashed database host would. */
  public Future<Void> cut() {
    Set<NetSocket> sockets = Set.copyOf(open);
    open.clear();
    sockets.forEach(NetSocket::close);
    return server.close();
  }

  private void relay(NetSocket inbound) {
    inbound.pause();
    open.add(inbound);
    client.connect(targetPort, targetHost).onComplete(connected -> {
      if (connected.failed()) {
        inbound.close();
        return;
      }
      NetSocket outbound = connected.result();
      open.add(outbound);
      inbound.pipeTo(outbound);
      outbound.pipeTo(inbound);
      inbound.resume();
    });
  }
}
