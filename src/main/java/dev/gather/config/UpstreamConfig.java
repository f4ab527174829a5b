package dev.gather.config;

import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * One upstream API that aggregates and the proxy may call: where it is, how long a call may take, and how
 * much concurrency gather allows it (connections, calls in flight, calls waiting; beyond those, calls are shed).
 *
 * @param uploadIdleTimeoutMs the longest the proxy lets a request body it streams to this upstream stall (the
 *     client sending nothing, or the upstream reading nothing); apart from {@code timeoutMs}, which times the
 *     answer, because how long a client may pause mid-upload says nothing about how fast the upstream answers
 * @param protocol how gather speaks to it: HTTP/1.1, HTTP/2 over TLS (ALPN), or HTTP/2 in clear text (h2c)
 * @param maxStreams with HTTP/2, the calls one connection carries at once (the upstream's own
 *     SETTINGS_MAX_CONCURRENT_STREAMS caps it); {@code maxConnections} then counts connections
 * @param followRedirects how many 3xx answers in a row a call follows (0: a 3xx is the answer)
 * @param redirectHosts the hosts other than the upstream's own that a redirect may lead to
 * @param urls every host's base URL ({@code urls}, or the one {@code url}); all with the scheme and path of
 *     {@code url}, which is the first
 * @param hosts how calls are spread over {@code urls} and which hosts are left out
 * @param cache the {@code cache} of its GET sources that set none of their own
 */
public record UpstreamConfig(
    String name,
    URI url,
    int connectTimeoutMs,
    int timeoutMs,
    int maxConnections,
    int maxConcurrent,
    int maxQueued,
    long maxBodyBytes,
    List<String> forwardHeaders,
    RetryConfig retry,
    HedgeConfig hedge,
    boolean coalesce,
    Optional<BreakerConfig> circuitBreaker,
    List<String> forwardCredentials,
    int uploadIdleTimeoutMs,
    Protocol protocol,
    int maxStreams,
    int followRedirects,
    List<String> redirectHosts,
    TlsConfig tlsConfig,
    boolean compression,
    List<URI> urls,
    HostsConfig hosts,
    Optional<CacheConfig> cache) {

  /** The HTTP version spoken to an upstream. */
  public enum Protocol {
    HTTP1("http1"), HTTP2("http2"), H2C("h2c");

    public final String key;

    Protocol(String key) {
      this.key = key;
    }
  }

  /** The client credentials the proxy can pass on; which it does is {@code forwardCredentials}. */
  public static final List<String> CREDENTIAL_HEADERS = List.of("Authorization", "Cookie", "X-Api-Key");
  private static final List<String> DEFAULT_CREDENTIALS = List.of("Authorization", "Cookie");

  static final Set<String> KEYS = keys();
  private static final int DAY_MS = 86_400_000;

  static UpstreamConfig parse(String name, JsonObject json, List<String> problems) {
    Fields in = new Fields("upstreams." + name, json, problems);
    in.rejectUnknown(KEYS);
    int timeoutMs = in.integer("timeoutMs", 2000, 1, DAY_MS);
    List<URI> urls = urls(in);
    String scheme = urls.get(0).getScheme().toLowerCase(java.util.Locale.ROOT) + ":";
    Protocol protocol = protocol(in, scheme);
    return new UpstreamConfig(
        name,
        urls.get(0),
        in.integer("connectTimeoutMs", 1000, 1, DAY_MS),
        timeoutMs,
        // One HTTP/2 connection carries maxStreams calls at once; more would only split the streams' windows.
        in.integer("maxConnections", protocol == Protocol.HTTP1 ? 64 : 1, 1, 100_000),
        in.integer("maxConcurrent", 256, 1, 1_000_000),
        in.integer("maxQueued", 1024, 0, 1_000_000),
        in.number("maxBodyBytes", 1_048_576, 1, 1L << 30),
        in.texts("forwardHeaders"),
        RetryConfig.parse(in, timeoutMs),
        HedgeConfig.parse(in),
        in.bool("coalesce", false),
        in.object("circuitBreaker").map(breaker -> BreakerConfig.parse(in, breaker)),
        credentials(in, json),
        in.integer("uploadIdleTimeoutMs", 10_000, 1, DAY_MS),
        protocol,
        in.integer("maxStreams", 100, 1, 10_000),
        in.integer("followRedirects", 0, 0, 10),
        redirectHosts(in),
        tls(in, scheme, urls.get(0)),
        in.bool("compression", true),
        urls,
        HostsConfig.parse(in),
        CacheConfig.parse(in));
  }

  /** The protocol, checked against the URL's scheme: h2 is negotiated inside TLS, h2c needs none. */
  private static Protocol protocol(Fields in, String scheme) {
    Optional<String> text = in.text("protocol");
    if (text.isEmpty()) {
      return Protocol.HTTP1;
    }
    for (Protocol protocol : Protocol.values()) {
      if (protocol.key.equalsIgnoreCase(text.get())) {
        if (protocol == Protocol.HTTP2 && scheme.startsWith("http:")) {
          in.problem("protocol", " = \"http2\": HTTP/2 is negotiated over TLS, and url is http://; use an https:// "
              + "url, or \"h2c\" for HTTP/2 without TLS");
        } else if (protocol == Protocol.H2C && scheme.startsWith("https:")) {
          in.problem("protocol", " = \"h2c\": h2c is HTTP/2 without TLS, and url is https://; use \"http2\" for "
              + "HTTP/2 over TLS");
        }
        return protocol;
      }
    }
    in.problem("protocol", " = \"" + text.get() + "\": use http1 (the default), http2 (HTTP/2 over TLS, https url) "
        + "or h2c (HTTP/2 without TLS, http url)");
    return Protocol.HTTP1;
  }

  /** Host names only: a redirect is allowed by where it leads, not by its path. */
  private static List<String> redirectHosts(Fields in) {
    List<String> hosts = new java.util.ArrayList<>();
    for (String host : in.texts("redirectHosts")) {
      String trimmed = host.trim().toLowerCase(java.util.Locale.ROOT);
      if (trimmed.isEmpty() || !trimmed.matches("[a-z0-9.\\-]+|\\[[0-9a-f:.]+\\]")) {
        in.problem("redirectHosts", ": \"" + host + "\" is not a host name; list bare names such as "
            + "\"cdn.internal\" (no scheme, port or path)");
      } else {
        hosts.add(trimmed);
      }
    }
    return List.copyOf(hosts);
  }

  /** TLS settings only make sense for an https URL; one given for http would silently do nothing. */
  private static TlsConfig tls(Fields in, String scheme, URI url) {
    Optional<JsonObject> section = in.object("tls");
    if (section.isEmpty()) {
      return TlsConfig.NONE;
    }
    if (!scheme.equals("https:") && !url.getHost().equals("invalid")) {
      in.problem("tls", ": given, but url \"" + url + "\" is not https://; use https:// or remove tls");
    }
    return TlsConfig.parse(in, section.get());
  }

  /**
   * Whether a redirect may lead to {@code host}: one of the upstream's own hosts (or its tls.serverName, the name
   * its hosts answer to), or one listed in redirectHosts.
   */
  public boolean redirectAllowedTo(String host) {
    return host != null && (urls.stream().anyMatch(u -> host.equalsIgnoreCase(u.getHost()))
        || tlsConfig.serverName().filter(host::equalsIgnoreCase).isPresent()
        || redirectHosts.contains(host.toLowerCase(java.util.Locale.ROOT)));
  }

  /** Which of the client's credential headers the proxy forwards: by default what a pass-through would. */
  private static List<String> credentials(Fields in, JsonObject json) {
    if (!json.containsKey("forwardCredentials")) {
      return DEFAULT_CREDENTIALS;
    }
    List<String> names = new java.util.ArrayList<>();
    for (String name : in.texts("forwardCredentials")) {
      Optional<String> known = CREDENTIAL_HEADERS.stream().filter(h -> h.equalsIgnoreCase(name)).findFirst();
      if (known.isPresent()) {
        names.add(known.get());
      } else {
        in.problem("forwardCredentials", ": \"" + name + "\" is not a client credential header; list some of "
            + CREDENTIAL_HEADERS + ", or [] to forward none");
      }
    }
    return List.copyOf(names);
  }

  private static Set<String> keys() {
    Set<String> keys = new HashSet<>(Set.of("url", "connectTimeoutMs", "timeoutMs", "maxConnections",
        "maxConcurrent", "maxQueued", "maxBodyBytes", "forwardHeaders", "hedgeAfterMs", "coalesce", "circuitBreaker",
        "forwardCredentials", "uploadIdleTimeoutMs", "protocol", "maxStreams", "followRedirects", "redirectHosts", "tls",
        "compression", "urls", "cache"));
    keys.addAll(HostsConfig.KEYS);
    keys.addAll(RetryConfig.KEYS);
    return Set.copyOf(keys);
  }

  /**
   * The one {@code url}, or every one of {@code urls}: never both, never none. The hosts of one upstream differ
   * only in host and port; one client, one TLS setup and one base path serve them all.
   */
  private static List<URI> urls(Fields in) {
    if (!in.has("urls")) {
      return List.of(url(in, "url", in.requiredText("url", "http://users.internal:8080")));
    }
    if (in.has("url")) {
      in.problem("url", ": given with urls; keep one: url for one host, urls for several");
    }
    List<String> texts = in.texts("urls");
    if (texts.isEmpty()) {
      in.problem("urls", ": empty; list one base URL per host, e.g. "
          + "[\"http://users-1:8080\", \"http://users-2:8080\"]");
      return List.of(URI.create("http://invalid"));
    }
    List<URI> urls = new java.util.ArrayList<>();
    for (String text : texts) {
      URI uri = url(in, "urls", text.trim());
      if (uri.getHost().equals("invalid")) {
        continue;
      }
      URI first = urls.isEmpty() ? uri : urls.get(0);
      if (!first.getScheme().equalsIgnoreCase(uri.getScheme()) || !basePath(first).equals(basePath(uri))) {
        in.problem("urls", ": \"" + text + "\" differs from \"" + first + "\" in scheme or path; the hosts of one "
            + "upstream differ only in host and port (use another upstream for another API)");
      } else if (urls.stream().anyMatch(u -> u.getHost().equalsIgnoreCase(uri.getHost()) && port(u) == port(uri))) {
        in.problem("urls", ": \"" + text + "\" is listed twice; list each host once");
      } else {
        urls.add(uri);
      }
    }
    return urls.isEmpty() ? List.of(URI.create("http://invalid")) : List.copyOf(urls);
  }

  private static URI url(Fields in, String field, String text) {
    if (text.isEmpty()) {
      return URI.create("http://invalid");
    }
    try {
      URI uri = new URI(text);
      boolean http = "http".equalsIgnoreCase(uri.getScheme()) || "https".equalsIgnoreCase(uri.getScheme());
      if (http && uri.getHost() != null && uri.getRawQuery() == null && uri.getRawFragment() == null
          && uri.getRawUserInfo() == null) {
        return uri;
      }
    } catch (URISyntaxException e) {
      // reported below
    }
    in.problem(field, (field.equals("url") ? " = " : ": ") + "\"" + text + "\": not a base URL; use "
        + "http(s)://host[:port][/base-path] without query, fragment or credentials");
    return URI.create("http://invalid");
  }

  public int port() {
    return port(url);
  }

  /** The port of one of the upstream's URLs, the scheme's own when it names none. */
  public static int port(URI url) {
    return url.getPort() > 0 ? url.getPort() : "https".equalsIgnoreCase(url.getScheme()) ? 443 : 80;
  }

  public boolean tls() {
    return "https".equalsIgnoreCase(url.getScheme());
  }

  /** The base path every call's path is appended to, without a trailing slash ("" for none). */
  public String basePath() {
    return basePath(url);
  }

  private static String basePath(URI url) {
    String path = url.getRawPath() == null ? "" : url.getRawPath();
    return path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
  }
}
