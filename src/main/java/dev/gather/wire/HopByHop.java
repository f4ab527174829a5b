package dev.gather.wire;

import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpHeaders;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/**
 * The headers that belong to one connection and must not be passed on (RFC 9110 7.6.1): the fixed hop-by-hop
 * ones, and every header the message's own {@code Connection} header names. Asked by the proxy for both
 * directions and by aggregates for {@code forwardHeaders}, so that a client can never get a header through by
 * declaring it connection-specific, nor smuggle one gather would otherwise forward.
 */
public final class HopByHop {
  private static final Set<String> ALWAYS = Set.of("connection", "keep-alive", "proxy-authenticate",
      "proxy-authorization", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade");

  private HopByHop() {}

  /** The lower-case names not to forward from a message with {@code headers}. */
  public static Set<String> names(MultiMap headers) {
    Set<String> names = new HashSet<>(ALWAYS);
    for (String connection : headers.getAll(HttpHeaders.CONNECTION)) {
      for (String token : connection.split(",")) {
        String name = token.trim().toLowerCase(Locale.ROOT);
        if (!name.isEmpty()) {
          names.add(name);
        }
      }
    }
    return names;
  }
}
