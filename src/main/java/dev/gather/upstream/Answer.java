package dev.gather.upstream;

import io.vertx.core.buffer.Buffer;

/**
 * What one call (or one SQL source) gave, as it goes into the aggregate's envelope: its data (decoded, a
 * {@link RawJson} when nobody reads into it, or null for an empty body), the 2xx status it came with (200 for
 * SQL), and how it was got. An answer read from the wire also keeps its body's bytes and its
 * {@code Cache-Control} ({@code body} and {@code cacheControl}, null otherwise), for a cache to keep.
 */
public record Answer(Object data, int status, CallStats stats, Buffer body, String cacheControl) {
  public Answer(Object data, int status, CallStats stats) {
    this(data, status, stats, null, null);
  }

  /**
   * The same answer without the bytes kept for a cache: once the cache has had its look, a decoded answer need not
   * hold its body twice until the request ends.
   */
  public Answer withoutBody() {
    return body == null ? this : new Answer(data, status, stats, null, null);
  }

  /** The same answer, told with how it was got. */
  public Answer with(CallStats stats) {
    return new Answer(data, status, stats, body, cacheControl);
  }
}
