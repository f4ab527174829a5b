package dev.gather.fanout;

import dev.gather.config.AggregateConfig;
import dev.gather.wire.HeaderNames;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * What an aggregate's answers tell clients and caches (RFC 9111): a complete answer carries the aggregate's
 * {@code cacheControl} and an {@code ETag}, and one whose tag the client already holds ({@code If-None-Match}) is
 * a 304 with no body; anything else (a partial answer, a failure, a stream) is {@code no-store}.
 *
 * <p>The tag is weak ({@code W/"…"}), a digest of the answer's {@code data} bytes: the envelope's {@code sources}
 * (timings, attempts) differs on every request while the data does not, and the bytes may be gzipped on the way
 * out, so two answers with the same tag are the same data, not the same bytes. {@code If-None-Match} compares
 * weakly anyway (RFC 9110 13.1.2).
 */
final class ClientCaching {
  static final String NO_STORE = "no-store";
  private static final int TAG_BYTES = 16;

  /** The configured value; null when the aggregate says nothing, and then no tag is computed either. */
  private final String cacheControl;
  /** What the answer varies by: the media type asked for (a stream is another answer), and the headers read. */
  private final String vary;

  ClientCaching(AggregateConfig aggregate) {
    this.cacheControl = aggregate.cacheControl().orElse(null);
    List<String> varies = new ArrayList<>();
    varies.add("Accept");
    varies.addAll(aggregate.headersRead());
    this.vary = String.join(", ", varies);
  }

  /** Whether the aggregate tells clients they may keep its complete answers. */
  boolean on() {
    return cacheControl != null;
  }

  /**
   * Marks a complete answer cacheable and tags it by {@code data}; returns true when {@code ifNoneMatch} names the
   * tag, and then the caller answers 304 with no body (the headers are set either way, as RFC 9110 15.4.5 wants).
   */
  boolean tag(HttpServerResponse response, Buffer data, String ifNoneMatch) {
    String etag = etag(data);
    response.putHeader(HeaderNames.CACHE_CONTROL, cacheControl)
        .putHeader(HeaderNames.VARY, vary)
        .putHeader(HeaderNames.ETAG, etag);
    return ifNoneMatch != null && matches(ifNoneMatch, etag);
  }

  static void forbid(HttpServerResponse response) {
    response.putHeader(HeaderNames.CACHE_CONTROL, NO_STORE);
  }

  /** {@code W/"…"}: 128 bits of the SHA-256 of {@code data}, base64url. */
  static String etag(Buffer data) {
    MessageDigest digest;
    try {
      digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java has SHA-256", e);
    }
    byte[] hash = digest.digest(data.getBytes());
    byte[] tag = new byte[TAG_BYTES];
    System.arraycopy(hash, 0, tag, 0, TAG_BYTES);
    return "W/\"" + Base64.getUrlEncoder().withoutPadding().encodeToString(tag) + "\"";
  }

  /**
   * Whether an {@code If-None-Match} list names {@code etag}: {@code *}, or one of its entity tags with the same
   * opaque part, weak or not (the weak comparison). A malformed entry matches nothing; the answer is then sent.
   */
  static boolean matches(String ifNoneMatch, String etag) {
    String opaque = etag.startsWith("W/") ? etag.substring(2) : etag;
    int i = 0;
    int n = ifNoneMatch.length();
    while (i < n) {
      char c = ifNoneMatch.charAt(i);
      if (c == ' ' || c == '\t' || c == ',') {
        i++;
      } else if (c == '*') {
        return true;
      } else {
        int start = ifNoneMatch.startsWith("W/", i) ? i + 2 : i;
        if (start >= n || ifNoneMatch.charAt(start) != '"') {
          return false;
        }
        int end = ifNoneMatch.indexOf('"', start + 1);
        if (end < 0) {
          return false;
        }
        if (ifNoneMatch.regionMatches(start, opaque, 0, opaque.length()) && end - start + 1 == opaque.length()) {
          return true;
        }
        i = end + 1;
      }
    }
    return false;
  }
}
