package dev.gather.fanout;

import io.vertx.core.buffer.Buffer;
import java.util.Locale;
import java.util.Optional;

/**
 * How a streamed aggregate answer frames its events: one JSON object per line ({@code application/x-ndjson}), or
 * server-sent events ({@code text/event-stream}: {@code event: source} per source, {@code event: end} last).
 * Either way an event is one line of JSON: the bytes of an upstream's answer, kept as they came, may hold line
 * breaks between tokens, which are turned into spaces (inside a JSON string a line break is always escaped).
 */
enum StreamFormat {
  NDJSON("application/x-ndjson"),
  SSE("text/event-stream");

  static final String SOURCE_EVENT = "source";
  static final String END_EVENT = "end";
  private static final String JSON = "application/json";

  final String mediaType;

  StreamFormat(String mediaType) {
    this.mediaType = mediaType;
  }

  /** One event, framed: a line of NDJSON, or an SSE event named {@code event} whose data is the JSON. */
  Buffer frame(String event, Buffer json) {
    byte[] bytes = json.getBytes();
    for (int i = 0; i < bytes.length; i++) {
      if (bytes[i] == '\n' || bytes[i] == '\r') {
        bytes[i] = ' ';
      }
    }
    Buffer out = Buffer.buffer(bytes.length + 32);
    if (this == SSE) {
      out.appendString("event: ").appendString(event).appendString("\ndata: ").appendBytes(bytes)
          .appendString("\n\n");
    } else {
      out.appendBytes(bytes).appendByte((byte) '\n');
    }
    return out;
  }

  /**
   * The stream the client asks for in {@code Accept}: the one of {@code application/x-ndjson},
   * {@code text/event-stream} and {@code application/json} it rates highest ({@code q}; the first listed on a
   * tie), empty when that is JSON or none is named. Wildcards ({@code *}{@code /*}) never ask for a stream, so
   * a client that did not ask for one gets the answer it always got.
   */
  static Optional<StreamFormat> negotiate(String accept) {
    if (accept == null || accept.length() > 4096) {
      return Optional.empty();
    }
    StreamFormat best = null;
    double bestQ = 0;
    for (String range : accept.split(",")) {
      String[] parts = range.split(";");
      String type = parts[0].trim().toLowerCase(Locale.ROOT);
      StreamFormat format = type.equals(NDJSON.mediaType) ? NDJSON : type.equals(SSE.mediaType) ? SSE : null;
      if (format == null && !type.equals(JSON)) {
        continue;
      }
      double q = quality(parts);
      if (q > bestQ) {
        bestQ = q;
        best = format;
      }
    }
    return Optional.ofNullable(best);
  }

  /** The {@code q} parameter of a media range: 1 when absent, 0 when it is not a number from 0 to 1. */
  private static double quality(String[] parts) {
    for (int i = 1; i < parts.length; i++) {
      String parameter = parts[i].trim();
      if (parameter.length() > 2 && (parameter.charAt(0) == 'q' || parameter.charAt(0) == 'Q')
          && parameter.charAt(1) == '=') {
        try {
          double q = Double.parseDouble(parameter.substring(2));
          return q >= 0 && q <= 1 ? q : 0;
        } catch (NumberFormatException e) {
          return 0;
        }
      }
    }
    return 1;
  }

  /** The content type of the streamed answer; an event stream is UTF-8 by definition. */
  String contentType() {
    return this == SSE ? mediaType + "; charset=utf-8" : mediaType;
  }
}
