package dev.gather.db.embedded;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Watches a freshly launched postmaster until it serves sessions, dies, or runs out of time. */
final class Readiness {
  private static final Logger LOG = LoggerFactory.getLogger(Readiness.class);
  private static final int PROTOCOL_VERSION_3 = 196608;

  enum Outcome { READY, EXITED, TIMED_OUT }

  private Readiness() {}

  static Outcome await(Process postmaster, Path dataDir, int port, Deadline deadline) {
    while (!deadline.passed()) {
      if (!postmaster.isAlive()) {
        return Outcome.EXITED;
      }
      // The pid file check keeps a different server that already owns the port from passing the protocol check
      // while ours is still failing to bind.
      if (reportsReady(dataDir, postmaster.pid()) && acceptsSessions(port)) {
        return Outcome.READY;
      }
      Deadline.sleep(100);
    }
    return Outcome.TIMED_OUT;
  }

  /** Line 1 of postmaster.pid is the postmaster's pid, line 8 its status once it accepts connections. */
  private static boolean reportsReady(Path dataDir, long pid) {
    try {
      List<String> lines = Files.readAllLines(dataDir.resolve("postmaster.pid"), StandardCharsets.US_ASCII);
      return lines.size() >= 8 && lines.get(0).trim().equals(Long.toString(pid))
          && lines.get(7).trim().equals("ready");
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * Speaks just enough of the v3 protocol to see ReadyForQuery: an open port alone does not mean the server is past
   * recovery and accepting trust-authenticated sessions.
   */
  private static boolean acceptsSessions(int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(EmbeddedPostgres.HOST, port), 1000);
      socket.setSoTimeout(2000);
      DataOutputStream out = new DataOutputStream(socket.getOutputStream());
      DataInputStream in = new DataInputStream(socket.getInputStream());

      byte[] params = ("user\0" + EmbeddedPostgres.SUPERUSER + "\0database\0" + EmbeddedPostgres.DATABASE + "\0\0")
          .getBytes(StandardCharsets.US_ASCII);
      out.writeInt(8 + params.length);
      out.writeInt(PROTOCOL_VERSION_3);
      out.write(params);
      out.flush();

      while (true) {
        byte type = in.readByte();
        int length = in.readInt();
        if (length < 4 || length > 1 << 20) {
          return false;
        }
        byte[] body = new byte[length - 4];
        in.readFully(body);
        if (type == 'Z') {
          out.writeByte('X');
          out.writeInt(4);
          out.flush();
          return true;
        }
        if (type == 'E' || (type == 'R' && body.length >= 4 && body[3] != 0)) {
          // 'E' is normal while starting up or recovering; 'R' with a non-zero code means the cluster asks for a
          // password, which only an edited pg_hba.conf would do.
          LOG.debug("not ready yet: {}", new String(body, StandardCharsets.UTF_8).replace('\0', ' '));
          return false;
        }
      }
    } catch (IOException e) {
      return false;
    }
  }
}
