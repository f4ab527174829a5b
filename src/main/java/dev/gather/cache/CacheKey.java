package dev.gather.cache;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * What a stored answer is the answer to. For an upstream GET: the upstream, the path with its query, and the
 * call's coalescing key (the URI and every header sent upstream, credentials included), so that callers with
 * different credentials never share an answer. For a SQL source: the query and its parameters. The upstream (or
 * query) and the path are kept apart so that a purge can find the answers under a path prefix.
 */
public record CacheKey(Kind kind, String name, String path, String variant) {
  /** What answered: an upstream, or a named SQL query. */
  public enum Kind {
    UPSTREAM("u"), QUERY("q");

    final String tag;

    Kind(String tag) {
      this.tag = tag;
    }
  }

  public static CacheKey upstream(String upstream, String pathAndQuery, String coalescingKey) {
    return new CacheKey(Kind.UPSTREAM, upstream, pathAndQuery, coalescingKey);
  }

  /** {@code params}: the query's parameters as JSON, the only thing besides its name its rows depend on. */
  public static CacheKey query(String query, String params) {
    return new CacheKey(Kind.QUERY, query, "", params);
  }

  /** The in-memory key: everything, as it is. */
  String memoryKey() {
    return kind.tag + ':' + name + '\n' + path + '\n' + variant;
  }

  /**
   * The Redis key: upstream and path readable (a purge matches them with SCAN), the rest hashed, so that the
   * credentials in the coalescing key are never written to Redis.
   */
  String redisKey(String prefix) {
    return prefix + kind.tag + ':' + name + '|' + path + '|' + sha256(variant);
  }

  /**
   * The SCAN pattern of every Redis key of {@code name} whose path starts with {@code pathPrefix}, the glob's
   * special characters in the given text escaped.
   */
  static String redisPattern(String prefix, Kind kind, String name, String pathPrefix) {
    return glob(prefix + kind.tag + ':' + name + '|' + pathPrefix) + "*";
  }

  String label() {
    return kind == Kind.UPSTREAM ? name : "query:" + name;
  }

  private static String glob(String text) {
    StringBuilder out = new StringBuilder(text.length() + 8);
    for (char c : text.toCharArray()) {
      if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\' || c == '^') {
        out.append('\\');
      }
      out.append(c);
    }
    return out.toString();
  }

  private static String sha256(String text) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
