package dev.gather.wire;

import io.vertx.core.http.HttpHeaders;

/**
 * The names of the headers gather itself reads or writes, in one place, so that the access log, the problem
 * answers, the aggregate envelope, upstream calls and the proxy never spell one differently. Made with
 * {@link HttpHeaders#createOptimized}: Vert.x writes them without encoding the name again on every response.
 * A package of its own, depending on nothing of gather's, so that every layer may use it without a cycle.
 */
public final class HeaderNames {
  /** The request's id: taken from the client when sane, sent back, and passed to every upstream. */
  public static final CharSequence REQUEST_ID = HttpHeaders.createOptimized("X-Request-Id");
  /** What is left of the aggregate's deadline (or the proxy's timeout), in ms, told to the upstream. */
  public static final CharSequence DEADLINE_MS = HttpHeaders.createOptimized("X-Gather-Deadline-Ms");
  /** Whether every source of an aggregate answered. */
  public static final CharSequence COMPLETE = HttpHeaders.createOptimized("X-Gather-Complete");
  /** The failed sources of an aggregate and their kinds ({@code profile=timeout}), on a plain answer. */
  public static final CharSequence ERRORS = HttpHeaders.createOptimized("X-Gather-Errors");
  /** Each source's duration, for browsers' and tools' timing views. */
  public static final CharSequence SERVER_TIMING = HttpHeaders.createOptimized("Server-Timing");
  /** When a retry is worth it, in whole seconds; sent only when the failing part knows. */
  public static final CharSequence RETRY_AFTER = HttpHeaders.createOptimized("Retry-After");
  /** What an aggregate's answer tells caches; {@code no-store} on partial and streamed answers. */
  public static final CharSequence CACHE_CONTROL = HttpHeaders.createOptimized("Cache-Control");
  /** The tag of an aggregate's complete answer, and the client's copy of it ({@code If-None-Match}). */
  public static final CharSequence ETAG = HttpHeaders.createOptimized("ETag");
  public static final CharSequence IF_NONE_MATCH = HttpHeaders.createOptimized("If-None-Match");
  public static final CharSequence VARY = HttpHeaders.createOptimized("Vary");
  public static final CharSequence ACCEPT = HttpHeaders.createOptimized("Accept");
  public static final CharSequence CONTENT_TYPE = HttpHeaders.createOptimized("Content-Type");
  public static final CharSequence FORWARDED_FOR = HttpHeaders.createOptimized("X-Forwarded-For");
  public static final CharSequence FORWARDED_PROTO = HttpHeaders.createOptimized("X-Forwarded-Proto");
  public static final CharSequence FORWARDED_HOST = HttpHeaders.createOptimized("X-Forwarded-Host");

  private HeaderNames() {}
}
