package dev.gather.upstream;

import dev.gather.config.HostsConfig;
import dev.gather.config.UpstreamConfig;
import dev.gather.time.Ticker;
import java.net.URI;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Chooses the host of an upstream's next try and leaves out the ones that misbehave. Passive outlier ejection as
 * Envoy does it: a host whose tries fail {@code ejectAfterFailures} times in a row is ejected for {@code ejectMs}
 * × the times it has been ejected (at most {@code maxEjectMs}; the count starts over once it has stayed in for
 * {@code maxEjectMs}), and comes back by itself when that has passed; so is one whose tries over the last
 * {@code outlierWindowMs} (at least {@code outlierMinRequests} of them) failed more often than
 * {@code outlierFailurePercent} and at least twice as often as the mean of the other hosts in service (each with as
 * many tries), Envoy's failure-percentage detector with a relative bar so that a fault shared by every host ejects
 * none;
 * never more than {@code maxEjectedPercent} of the hosts are ejected at once, so a fault of gather's own (or of
 * every host) cannot empty the set. A host the active health check finds down is left out until it is found up.
 * When every host is left out, all of them are used again (Envoy's panic mode): a call that may fail beats one
 * that surely does, and the circuit breaker guards the upstream as a whole. With {@code resolveEveryMs} the set
 * follows DNS ({@link #resolved}): hosts come and go, those that stay keep their state. Shared by the process;
 * thread-safe.
 * Hand-rolled: Vert.x's client load balancing neither ejects nor reports hosts, nor lets a retry avoid a host.
 */
final class HostPicker {
  /**
   * One host of the upstream: a URL of {@code urls} as configured, named {@code host:port}; or, when the upstream
   * resolves its names ({@code resolveEveryMs}), one address of such a URL's host name, named
   * {@code address:port}, whose requests still carry the name.
   */
  static final class Host {
    /** Never reused: a host that leaves and comes back is a new one. */
    final int index;
    /** The configured URL this host comes from. */
    final URI origin;
    /** What the connection goes to: the URL's host, or an address resolved from it. */
    final String host;
    final int port;
    final String label;
    /** The host name of the URL when {@link #host} is an address resolved from it (Host, SNI); null otherwise. */
    final String resolvedFrom;
    int inFlight;
    int failuresInARow;
    int timesEjected;
    long ejectedUntilNanos;
    /** When it last came back from an ejection. */
    long backSinceNanos;
    boolean ejected;
    boolean down;
    long ejections;
    /** Tries and failures in the outlier window: fixed buckets, so memory does not grow with the traffic. */
    final SlidingCounts window;

    private Host(int index, URI url, long windowMs, Ticker ticker) {
      this.index = index;
      this.origin = url;
      this.host = url.getHost();
      this.port = UpstreamConfig.port(url);
      this.label = host + ":" + port; // an IPv6 literal keeps the URI's brackets
      this.resolvedFrom = null;
      this.window = new SlidingCounts(windowMs, ticker);
    }

    private Host(int index, URI url, String address, long windowMs, Ticker ticker) {
      this.index = index;
      this.origin = url;
      this.host = address;
      this.port = UpstreamConfig.port(url);
      this.label = (address.contains(":") ? "[" + address + "]" : address) + ":" + port;
      this.resolvedFrom = url.getHost();
      this.window = new SlidingCounts(windowMs, ticker);
    }

    /** The name a request to this host carries (Host header, SNI, certificate check): its URL's host. */
    String name() {
      return resolvedFrom == null ? host : resolvedFrom;
    }

    @Override
    public String toString() {
      return label;
    }
  }

  /** What a new resolution changed: hosts that came, and hosts that left (their tries in flight still end). */
  record Change(List<Host> added, List<Host> removed) {
    static final Change NONE = new Change(List.of(), List.of());

    boolean none() {
      return added.isEmpty() && removed.isEmpty();
    }
  }

  /** What a host is now, for readiness and metrics. */
  enum State {
    UP, EJECTED, DOWN;

    String key() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** How a try on a host went, as far as the host is to blame (see {@code FailureKind.breakerVerdict}). */
  enum Outcome { SUCCESS, FAILURE, NEITHER }

  /**
   * The hosts now: replaced whole (never changed in place) when a resolution changes them, so that a reader
   * outside the lock (readiness, metrics, health checks) always sees one consistent set.
   */
  private volatile List<Host> hosts;
  private final HostsConfig config;
  private final Ticker ticker;
  /** Whether the set is shown host by host: several URLs, or names resolved into addresses (the set may grow). */
  private final boolean listed;
  private int maxEjected;
  private int nextIndex;
  private int cursor;

  HostPicker(List<URI> urls, HostsConfig config, Ticker ticker) {
    List<Host> all = new ArrayList<>();
    for (URI url : urls) {
      all.add(new Host(all.size(), url, config.outlierWindowMs(), ticker));
    }
    this.hosts = List.copyOf(all);
    this.nextIndex = all.size();
    this.config = config;
    this.ticker = ticker;
    this.listed = urls.size() > 1 || config.resolveEveryMs() > 0;
    this.maxEjected = hosts.size() * config.maxEjectedPercent() / 100;
  }

  List<Host> hosts() {
    return hosts;
  }

  /** Whether readiness and metrics show this upstream's hosts one by one. */
  boolean listed() {
    return listed;
  }

  /**
   * {@code url}'s host name now resolves to {@code addresses}: its hosts become one per address (the URL's
   * port), in place of the name itself or of the addresses it had. A host whose address stays is the same host,
   * its ejection, health and counts kept; one whose address is gone leaves the set (a try in flight on it still
   * ends, changing nothing here); an address already a host through another name is not added twice. No addresses
   * change nothing: DNS must never empty the set.
   */
  synchronized Change resolved(URI url, List<String> addresses) {
    if (addresses.isEmpty()) {
      return Change.NONE;
    }
    List<Host> next = new ArrayList<>(hosts.size() + addresses.size());
    List<Host> removed = new ArrayList<>();
    for (Host host : hosts) {
      if (!host.origin.equals(url) || host.resolvedFrom != null && addresses.contains(host.host)) {
        next.add(host);
      } else {
        removed.add(host);
      }
    }
    List<Host> added = new ArrayList<>();
    int port = UpstreamConfig.port(url);
    for (String address : addresses) {
      boolean known = next.stream().anyMatch(h -> h.port == port && h.host.equalsIgnoreCase(address));
      if (!known) {
        Host host = new Host(nextIndex++, url, address, config.outlierWindowMs(), ticker);
        next.add(host);
        added.add(host);
      }
    }
    if (next.isEmpty()) { // every address is another name's host already, and this name had nothing else
      return Change.NONE;
    }
    if (added.isEmpty() && removed.isEmpty()) {
      return Change.NONE;
    }
    hosts = List.copyOf(next);
    maxEjected = next.size() * config.maxEjectedPercent() / 100;
    return new Change(List.copyOf(added), List.copyOf(removed));
  }

  /**
   * The host of the next try, counted in flight until {@link #ended}: among the hosts not left out, one not in
   * {@code avoid} (those a retry or a hedge has already tried) if there is one; then the least busy (ties taken
   * in turn) or simply the next in turn.
   */
  synchronized Host pick(Collection<Host> avoid) {
    long now = ticker.nanoTime();
    List<Host> usable = new ArrayList<>(hosts.size());
    for (Host host : hosts) {
      if (host.ejected && now - host.ejectedUntilNanos >= 0) {
        host.ejected = false;
        host.failuresInARow = 0;
        host.backSinceNanos = host.ejectedUntilNanos;
      }
      if (!host.ejected && !host.down) {
        usable.add(host);
      }
    }
    if (usable.isEmpty()) {
      usable.addAll(hosts);
    }
    if (!avoid.isEmpty() && usable.size() > 1) {
      List<Host> fresh = new ArrayList<>(usable);
      fresh.removeAll(avoid);
      if (!fresh.isEmpty()) {
        usable = fresh;
      }
    }
    if (config.balance() == HostsConfig.Balance.LEAST_IN_FLIGHT) {
      int least = usable.stream().mapToInt(h -> h.inFlight).min().orElse(0);
      usable.removeIf(h -> h.inFlight > least);
    }
    Host chosen = usable.get((cursor++ & Integer.MAX_VALUE) % usable.size());
    chosen.inFlight++;
    return chosen;
  }

  /** A try on {@code host} is over. Later calls for the same try must not be made. */
  synchronized void ended(Host host, Outcome outcome) {
    host.inFlight--;
    switch (outcome) {
      case SUCCESS -> {
        host.failuresInARow = 0;
        host.window.add(false);
      }
      case FAILURE -> failed(host);
      case NEITHER -> { }
    }
  }

  private void failed(Host host) {
    host.failuresInARow++;
    host.window.add(true);
    long now = ticker.nanoTime();
    if (host.ejected) {
      return;
    }
    if (host.failuresInARow < config.ejectAfterFailures() && !failsFarMoreThanTheOthers(host, now)) {
      return;
    }
    long ejectedNow = hosts.stream().filter(h -> h.ejected && now - h.ejectedUntilNanos < 0).count();
    if (ejectedNow >= maxEjected) {
      return; // the share is spent: the host stays in, and is ejected on its next failure if room has freed
    }
    if (host.timesEjected > 0 && now - host.backSinceNanos >= config.maxEjectMs() * 1_000_000L) {
      host.timesEjected = 0; // it behaved for as long as the longest ejection: a new fault starts at ejectMs again
    }
    host.timesEjected++;
    host.ejections++;
    host.ejected = true;
    host.failuresInARow = 0;
    host.window.clear(); // back in service, it is judged by its new tries only
    long ms = Math.min(config.maxEjectMs(), (long) config.ejectMs() * host.timesEjected);
    host.ejectedUntilNanos = now + ms * 1_000_000L;
  }

  /**
   * Whether {@code host}'s failure share in the window is above {@code outlierFailurePercent} and at least twice
   * the mean share of the other hosts in service that have enough tries to be judged. With no such other host
   * there is nothing to compare with, and a fault of gather's own must not pass for the host's.
   */
  private boolean failsFarMoreThanTheOthers(Host host, long now) {
    long tries = host.window.total();
    if (tries < config.outlierMinRequests()) {
      return false;
    }
    double share = (double) host.window.marked() / tries;
    if (share * 100 <= config.outlierFailurePercent()) {
      return false;
    }
    double othersShares = 0;
    int others = 0;
    for (Host other : hosts) {
      long otherTries = other.window.total();
      if (other == host || (other.ejected && now - other.ejectedUntilNanos < 0) || other.down
          || otherTries < config.outlierMinRequests()) {
        continue;
      }
      othersShares += (double) other.window.marked() / otherTries;
      others++;
    }
    return others > 0 && share >= 2 * othersShares / others;
  }

  /** What the active health check found: a host found down is left out until it is found up. */
  synchronized void checked(Host host, boolean up) {
    host.down = !up;
  }

  synchronized State state(Host host) {
    if (host.ejected && ticker.nanoTime() - host.ejectedUntilNanos < 0) {
      return State.EJECTED;
    }
    return host.down ? State.DOWN : State.UP;
  }

  /** Milliseconds until an ejected host comes back; 0 when it is not ejected. */
  synchronized long msUntilBack(Host host) {
    return state(host) == State.EJECTED ? Math.max(0, (host.ejectedUntilNanos - ticker.nanoTime()) / 1_000_000) : 0;
  }

  synchronized int inFlight(Host host) {
    return host.inFlight;
  }

  synchronized long ejections(Host host) {
    return host.ejections;
  }
}
