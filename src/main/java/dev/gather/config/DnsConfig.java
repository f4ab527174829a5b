package dev.gather.config;

import io.netty.util.NetUtil;
import java.util.ArrayList;
import java.util.List;

/**
 * Where gather asks when it resolves upstream host names itself ({@code resolveEveryMs}): the DNS servers, asked
 * in turn until one answers, each within {@code timeoutMs}. No servers: the system's first name server, as Vert.x
 * reads it from {@code /etc/resolv.conf}.
 */
public record DnsConfig(List<Server> servers, long timeoutMs) {

  /** One DNS server: an IP address (a server named by a name would itself need resolving) and a port. */
  public record Server(String address, int port) {
    @Override
    public String toString() {
      return (address.contains(":") ? "[" + address + "]" : address) + ":" + port;
    }
  }

  static DnsConfig parse(ConfigReader in) {
    List<Server> servers = new ArrayList<>();
    for (String text : in.texts(ConfigKey.DNS_SERVERS)) {
      Server server = server(text);
      if (server == null) {
        in.problem(ConfigKey.DNS_SERVERS.path() + ": \"" + text + "\" is not a DNS server; write an IP address "
            + "with an optional port, e.g. \"10.0.0.10\", \"127.0.0.1:5353\" or \"[fd00::10]:53\"");
      } else {
        servers.add(server);
      }
    }
    return new DnsConfig(List.copyOf(servers), in.number(ConfigKey.DNS_TIMEOUT_MS, 1, 60_000));
  }

  /** {@code 10.0.0.10}, {@code 10.0.0.10:5353}, {@code fd00::10}, {@code [fd00::10]:53}; null when it is none. */
  static Server server(String text) {
    String address = text;
    int port = 53;
    if (text.startsWith("[")) {
      int close = text.indexOf(']');
      if (close < 0) {
        return null;
      }
      address = text.substring(1, close);
      String rest = text.substring(close + 1);
      if (!rest.isEmpty()) {
        if (!rest.startsWith(":")) {
          return null;
        }
        port = port(rest.substring(1));
      }
    } else if (text.indexOf(':') > 0 && text.indexOf(':') == text.lastIndexOf(':')) {
      address = text.substring(0, text.indexOf(':'));
      port = port(text.substring(text.indexOf(':') + 1));
    }
    if (port < 1 || !(NetUtil.isValidIpV4Address(address) || NetUtil.isValidIpV6Address(address))) {
      return null;
    }
    return new Server(address, port);
  }

  private static int port(String text) {
    if (text.isEmpty() || text.length() > 5 || !text.chars().allMatch(Character::isDigit)) {
      return -1;
    }
    int port = Integer.parseInt(text);
    return port <= 65_535 ? port : -1;
  }
}
