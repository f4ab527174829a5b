package dev.gather.upstream;

import dev.gather.config.UpstreamConfig;
import dev.gather.dns.DnsResolver;
import io.netty.util.NetUtil;
import io.vertx.core.Vertx;
import java.net.URI;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the hosts of one upstream with {@code resolveEveryMs} in step with DNS: each URL whose host is a name
 * (an IP address is a host as it is) is resolved into all its addresses at start and then every
 * {@code resolveEveryMs}, and the {@link HostPicker} told what the name resolves to now; its metrics follow. A
 * resolution that fails or finds no address keeps the last known addresses (until the first success, the name
 * itself, which Vert.x resolves when it connects): DNS never empties the set. One per upstream per process; at
 * most one resolution per name at a time, so a DNS server that does not answer cannot pile them up. Logged once
 * per change, not per tick: the set changing, resolution starting to fail, and working again.
 */
final class HostResolution {
  private static final Logger LOG = LoggerFactory.getLogger(HostResolution.class);

  private final Vertx vertx;
  private final UpstreamConfig config;
  private final HostPicker picker;
  private final UpstreamMetrics metrics;
  private final DnsResolver dns;
  private final List<Name> names = new ArrayList<>();

  /** One URL's host name and what is known of it; touched by one resolution at a time. */
  private static final class Name {
    final URI url;
    final String host;
    boolean resolving;
    List<String> addresses = List.of();
    /** Why the last resolution kept the old addresses; null while resolution works. */
    String failing;

    Name(URI url) {
      this.url = url;
      this.host = url.getHost();
    }
  }

  HostResolution(Vertx vertx, UpstreamConfig config, HostPicker picker, UpstreamMetrics metrics, DnsResolver dns) {
    this.vertx = vertx;
    this.config = config;
    this.picker = picker;
    this.metrics = metrics;
    this.dns = dns;
    for (URI url : config.urls()) {
      if (!isAddress(url.getHost())) {
        names.add(new Name(url));
      }
    }
  }

  /** Whether an upstream URL's host is an IP address rather than a name (an IPv6 one keeps the URI's brackets). */
  static boolean isAddress(String host) {
    String bare = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    return NetUtil.isValidIpV4Address(bare) || NetUtil.isValidIpV6Address(bare);
  }

  /** Resolves every name now, then every resolveEveryMs, until Vert.x closes. */
  void start() {
    if (names.isEmpty()) {
      return;
    }
    vertx.runOnContext(v -> {
      resolveAll();
      vertx.setPeriodic(config.hosts().resolveEveryMs(), id -> resolveAll());
    });
  }

  private void resolveAll() {
    for (Name name : names) {
      if (!name.resolving) {
        name.resolving = true;
        dns.addresses(name.host).onComplete(done -> {
          name.resolving = false;
          if (done.succeeded() && !done.result().isEmpty()) {
            resolved(name, done.result());
          } else {
            kept(name, done.succeeded() ? "no address" : done.cause().getMessage());
          }
        });
      }
    }
  }

  private void resolved(Name name, List<String> addresses) {
    if (name.failing != null) {
      LOG.info("upstream {}: {} resolves again", config.name(), name.host);
      name.failing = null;
    }
    if (new HashSet<>(addresses).equals(new HashSet<>(name.addresses))) {
      return;
    }
    HostPicker.Change change = picker.resolved(name.url, addresses);
    metrics.hostsChanged(picker, change);
    LOG.info("upstream {}: {} resolves to {}{}{}", config.name(), name.host, addresses,
        change.added().isEmpty() ? "" : "; hosts added " + change.added(),
        change.removed().isEmpty() ? "" : "; hosts removed " + change.removed());
    name.addresses = List.copyOf(addresses);
  }

  private void kept(Name name, String why) {
    metrics.resolutionFailed();
    // "no address" and a failure are two states; the wording of one failure and the next are not.
    String state = why.equals("no address") ? why : "failed";
    if (!Objects.equals(name.failing, state)) {
      LOG.warn("upstream {}: resolving {} {}; keeping {}", config.name(), name.host,
          state.equals("failed") ? "failed (" + why + ")" : "found no address",
          name.addresses.isEmpty() ? "the name itself (Vert.x resolves it when connecting)"
              : "its last known addresses " + name.addresses);
      name.failing = state;
    }
  }
}
