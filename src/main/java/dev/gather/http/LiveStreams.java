package dev.gather.http;

import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;

/**
 * The head of an answer written as it happens (server-sent events, NDJSON): the job events, the console's live
 * page and streamed aggregates all start theirs here, so that none of them is cached, compressed or buffered.
 */
public final class LiveStreams {
  public static final String SERVER_SENT_EVENTS = "text/event-stream; charset=utf-8";

  private LiveStreams() {}

  /** Makes {@code response} a chunked, uncacheable, unbuffered stream of {@code contentType}. */
  public static HttpServerResponse start(HttpServerResponse response, String contentType) {
    return response.setChunked(true)
        .putHeader(HttpHeaders.CONTENT_TYPE, contentType)
        // Never complete when its head is written, so never to be stored.
        .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
        // Gzip would hold small events in the compressor; identity turns compression off for this answer.
        .putHeader(HttpHeaders.CONTENT_ENCODING, HttpHeaders.IDENTITY)
        // nginx buffers answers by default, which would hold events back.
        .putHeader("X-Accel-Buffering", "no");
  }
}
