package dev.gather.fanout;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gather.config.AggregateConfig;
import dev.gather.config.SourceConfig;
import dev.gather.failure.Failure;
import dev.gather.http.ApiError;
import dev.gather.http.Problems;
import dev.gather.shape.Nodes;
import dev.gather.upstream.CallStats;
import dev.gather.upstream.RawJson;
import dev.gather.wire.HeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/**
 * The answer to an aggregate request, always the same shape: {@code data} and {@code errors} keyed by source,
 * {@code sources} with each one's status and timing, and {@code complete}. The HTTP status is 200 when every
 * required source succeeded; otherwise see {@link #verdict}.
 *
 * <p>Written by hand into one buffer rather than built as a tree and encoded: the bytes of an answer nobody
 * read into ({@link RawJson}) go in as they came, and the rest is a few fixed keys around them. One per
 * aggregate, with its source names already encoded.
 */
final class Envelope {
  private static final String JSON = "application/json";
  private static final byte[] DATA = ascii("{\"data\":");
  private static final byte[] ERRORS = ascii(",\"errors\":{");
  private static final byte[] SOURCES = ascii("},\"sources\":{");
  private static final byte[] COMPLETE_TRUE = ascii("},\"complete\":true}");
  private static final byte[] COMPLETE_FALSE = ascii("},\"complete\":false}");
  private static final byte[] NULL = ascii("null");

  /** How long {@code X-Gather-Errors} may grow: the sources past it are counted, not named. */
  static final int MAX_ERRORS_HEADER = 512;

  private final List<SourceConfig> sources;
  private final boolean envelope;
  private final ClientCaching caching;
  /** Each source's name as a JSON string and a colon: {@code "profile":}. */
  private final byte[][] keys;

  /** What the answer's status says, and when a retry is worth it if every failure that decided it knows. */
  record Verdict(int status, OptionalLong retryAfterMs) {
    static final Verdict OK = new Verdict(200, OptionalLong.empty());
  }

  Envelope(AggregateConfig aggregate) {
    this.sources = aggregate.sources();
    this.envelope = aggregate.envelope();
    this.caching = new ClientCaching(aggregate);
    this.keys = new byte[sources.size()][];
    for (int i = 0; i < keys.length; i++) {
      keys[i] = (Json.encode(sources.get(i).name()) + ":").getBytes(StandardCharsets.UTF_8);
    }
  }

  /**
   * Sends the answer for {@code results} (one per source, in the aggregate's order), with {@code shaped} as its
   * data when the aggregate has a shape (null otherwise); {@code instance} and {@code requestId} go into the
   * problem a plain answer that is not 2xx is; {@code ifNoneMatch} is the client's header (null when none), for
   * an aggregate with {@code cacheControl}. Returns its status (304 when the client's copy is still the answer).
   */
  int send(HttpServerResponse response, List<SourceResult> results, JsonNode shaped, String instance,
      String requestId, String ifNoneMatch) {
    return send(response, results, shaped, instance, requestId, ifNoneMatch, FieldSelection.ALL);
  }

  /** As above, for a request whose {@code ?fields=} selection runs only {@code selection}'s sources. */
  int send(HttpServerResponse response, List<SourceResult> results, JsonNode shaped, String instance,
      String requestId, String ifNoneMatch, FieldSelection selection) {
    StringBuilder timing = new StringBuilder(16 * keys.length);
    for (int i = 0; i < keys.length; i++) {
      timing.append(i == 0 ? "" : ", ").append(results.get(i).name()).append(";dur=").append(results.get(i).ms());
    }
    boolean complete = complete(results);
    Verdict verdict = verdict(requiredFailures(results));
    verdict.retryAfterMs().ifPresent(ms ->
        response.putHeader(HeaderNames.RETRY_AFTER, String.valueOf(ApiError.retryAfterSeconds(ms))));
    response.setStatusCode(verdict.status())
        .putHeader(HeaderNames.COMPLETE, complete ? "true" : "false")
        .putHeader(HeaderNames.SERVER_TIMING, timing.toString());
    // Whatever the config says, a partial answer must not be kept: a cache would serve the hole after it healed.
    boolean cacheable = complete && verdict.status() == 200 && caching.on();
    if (!complete) {
      ClientCaching.forbid(response);
    }
    if (envelope) {
      Buffer body = Buffer.buffer(256 + 64 * keys.length + rawLength(results));
      body.appendBytes(DATA);
      int dataStart = body.length();
      if (shaped != null) {
        body.appendBuffer(Nodes.encode(shaped));
      } else {
        data(body, results);
      }
      if (cacheable && caching.tag(response, body.slice(dataStart, body.length()), ifNoneMatch)) {
        return notModified(response);
      }
      rest(body, results, complete, selection);
      response.putHeader(HeaderNames.CONTENT_TYPE, JSON).end(body);
    } else {
      if (!complete) {
        response.putHeader(HeaderNames.ERRORS, errorsHeader(results));
      }
      if (verdict.status() == 200) {
        Buffer body = plain(results, shaped);
        if (cacheable && caching.tag(response, body, ifNoneMatch)) {
          return notModified(response);
        }
        response.putHeader(HeaderNames.CONTENT_TYPE, JSON).end(body);
      } else {
        response.putHeader(HeaderNames.CONTENT_TYPE, Problems.CONTENT_TYPE)
            .end(problem(results, requiredFailures(results), verdict.status(), instance, requestId));
      }
    }
    return verdict.status();
  }

  /** 304: the client's copy is the answer; the tag and caching headers are set, the body is not sent. */
  private static int notModified(HttpServerResponse response) {
    response.setStatusCode(304).end();
    return 304;
  }

  /** What the answer says when the aggregate is done: its status, and whether every source succeeded. */
  Verdict verdictOf(List<SourceResult> results) {
    return verdict(requiredFailures(results));
  }

  static boolean complete(List<SourceResult> results) {
    for (SourceResult result : results) {
      if (!result.ok()) {
        return false;
      }
    }
    return true;
  }

  private List<Failure> requiredFailures(List<SourceResult> results) {
    List<Failure> required = new ArrayList<>(0);
    for (int i = 0; i < keys.length; i++) {
      SourceResult result = results.get(i);
      if (!result.ok() && sources.get(i).required()) {
        required.add(result.failure());
      }
    }
    return required;
  }

  /** The envelope after its data: errors, sources, complete. */
  private void rest(Buffer out, List<SourceResult> results, boolean complete, FieldSelection selection) {
    out.appendBytes(ERRORS);
    errors(out, results);
    out.appendBytes(SOURCES);
    for (int i = 0; i < keys.length; i++) {
      key(out, i, i == 0);
      out.appendByte((byte) '{');
      sourceFields(out, results.get(i), !selection.runs(results.get(i).name()));
      out.appendByte((byte) '}');
    }
    out.appendBytes(complete ? COMPLETE_TRUE : COMPLETE_FALSE);
  }

  /**
   * What {@code sources} says of one source, without the braces: its status and timing, how its call went, and
   * whether it was cached, skipped ({@code pruned} when a {@code ?fields=} selection left it out, apart from one its
   * {@code when} skipped), fell back or got only part of its items. A streamed answer's per-source event carries the
   * same fields.
   */
  static void sourceFields(Buffer out, SourceResult result, boolean pruned) {
    CallStats stats = result.stats();
    out.appendString("\"status\":").appendString(String.valueOf(result.status()))
        .appendString(",\"ms\":").appendString(String.valueOf(result.ms()))
        .appendString(",\"attempts\":").appendString(String.valueOf(stats.attempts()))
        .appendString(",\"hedged\":").appendString(String.valueOf(stats.hedged()))
        .appendString(",\"coalesced\":").appendString(String.valueOf(stats.coalesced()))
        .appendString(",\"shortCircuited\":").appendString(String.valueOf(stats.shortCircuited()))
        .appendString(",\"cached\":").appendString(String.valueOf(result.cached()))
        .appendString(",\"stale\":").appendString(String.valueOf(result.stale()));
    if (result.cached()) {
      out.appendString(",\"ageMs\":").appendString(String.valueOf(result.ageMs()));
    }
    if (result.skipped()) {
      out.appendString(pruned ? ",\"skipped\":true,\"pruned\":true" : ",\"skipped\":true");
    } else if (result.fellBack()) {
      out.appendString(",\"fallback\":true");
    } else if (result.partial()) {
      out.appendString(",\"partial\":true");
    }
  }

  /** The data alone: the shaped data, or the object of each source's data. */
  private Buffer plain(List<SourceResult> results, JsonNode shaped) {
    if (shaped != null) {
      return Nodes.encode(shaped);
    }
    Buffer out = Buffer.buffer(64 + 16 * keys.length + rawLength(results));
    data(out, results);
    return out;
  }

  /** Each source's data by name: those answered, and those fallen back; not the failed or the skipped. */
  private void data(Buffer out, List<SourceResult> results) {
    out.appendByte((byte) '{');
    boolean first = true;
    for (int i = 0; i < keys.length; i++) {
      SourceResult result = results.get(i);
      if (result.hasData()) {
        key(out, i, first);
        first = false;
        value(out, result.data());
      }
    }
    out.appendByte((byte) '}');
  }

  /** The entries of {@code errors}, by source (the braces around them are the caller's). */
  private void errors(Buffer out, List<SourceResult> results) {
    boolean first = true;
    for (int i = 0; i < keys.length; i++) {
      SourceResult result = results.get(i);
      if (!result.ok()) {
        key(out, i, first);
        first = false;
        error(out, result);
      }
    }
  }

  /** One failed source's error object: its kind, the upstream's status, the detail, the tries. */
  static void error(Buffer out, SourceResult result) {
    Failure failure = result.failure();
    out.appendString("{\"kind\":\"").appendString(failure.kind().wireName())
        .appendString("\",\"status\":").appendString(String.valueOf(result.status()))
        .appendString(",\"detail\":").appendString(Json.encode(failure.detail()))
        .appendString(",\"attempts\":").appendString(String.valueOf(result.stats().attempts()));
    if (failure instanceof ItemFailures items) {
      itemErrors(out, items);
    }
    out.appendByte((byte) '}');
  }

  /** {@code "items":[{"index":3,"kind":"not_found","detail":"…"}]}: each failed item of a forEach, in order. */
  private static void itemErrors(Buffer out, ItemFailures items) {
    out.appendString(",\"items\":[");
    boolean first = true;
    for (var item : items.items().entrySet()) {
      out.appendString(first ? "{\"index\":" : ",{\"index\":").appendString(String.valueOf(item.getKey()))
          .appendString(",\"kind\":\"").appendString(item.getValue().kind().wireName())
          .appendString("\",\"detail\":").appendString(Json.encode(item.getValue().detail())).appendString("}");
      first = false;
    }
    out.appendByte((byte) ']');
  }

  /**
   * The problem a plain answer is when a required source failed: its type is the deciding failure's kind, its
   * detail names the failed required sources, and {@code errors} has every failed source as the envelope would.
   */
  private Buffer problem(List<SourceResult> results, List<Failure> required, int status, String instance,
      String requestId) {
    Failure deciding = required.stream().filter(f -> edgeStatus(f) == status).findFirst().orElse(required.get(0));
    String detail = requiredDetail(results);
    Buffer out = Buffer.buffer(256 + 64 * keys.length);
    out.appendString("{\"type\":").appendString(Json.encode(Problems.TYPE_PREFIX
            + deciding.kind().wireName().replace('_', '-')))
        .appendString(",\"title\":").appendString(Json.encode(HttpResponseStatus.valueOf(status).reasonPhrase()))
        .appendString(",\"status\":").appendString(String.valueOf(status))
        .appendString(",\"detail\":").appendString(Json.encode(detail));
    if (instance != null) {
      out.appendString(",\"instance\":").appendString(Json.encode(instance));
    }
    if (requestId != null) {
      out.appendString(",\"requestId\":").appendString(Json.encode(requestId));
    }
    out.appendString(",\"errors\":{");
    errors(out, results);
    return out.appendString("}}");
  }

  /** {@code required source profile (timeout: …) failed}: why an answer is not 200, naming every failed required one. */
  String requiredDetail(List<SourceResult> results) {
    StringBuilder detail = new StringBuilder("required source");
    List<String> failed = new ArrayList<>();
    for (int i = 0; i < keys.length; i++) {
      SourceResult result = results.get(i);
      if (!result.ok() && sources.get(i).required()) {
        failed.add(result.name() + " (" + result.failure().kind().wireName() + ": " + result.failure().detail() + ")");
      }
    }
    return detail.append(failed.size() == 1 ? " " : "s ").append(String.join(", ", failed)).append(" failed")
        .toString();
  }

  /**
   * {@code profile=timeout, orders=status}: every source with an error, fallen back ones included, cut at
   * {@link #MAX_ERRORS_HEADER} characters with the rest counted ({@code +3 more}).
   */
  String errorsHeader(List<SourceResult> results) {
    StringBuilder header = new StringBuilder(32);
    int left = 0;
    for (SourceResult result : results) {
      if (result.ok()) {
        continue;
      }
      String entry = result.name() + "=" + result.failure().kind().wireName();
      if (left > 0 || header.length() + entry.length() + 2 > MAX_ERRORS_HEADER - 12) {
        left++;
      } else {
        header.append(header.length() == 0 ? "" : ", ").append(entry);
      }
    }
    if (left > 0) {
      header.append(header.length() == 0 ? "" : ", ").append('+').append(left).append(" more");
    }
    return header.toString();
  }

  /** The key of source {@code i}, after a comma unless it is the first entry of its object. */
  private void key(Buffer out, int i, boolean first) {
    if (!first) {
      out.appendByte((byte) ',');
    }
    out.appendBytes(keys[i]);
  }

  /** A value: bytes kept as they came, a forEach's list holding such bytes, or anything else encoded. */
  static void value(Buffer out, Object data) {
    if (data == null) {
      out.appendBytes(NULL);
    } else if (data instanceof JsonNode node) {
      out.appendBuffer(Nodes.encode(node));
    } else if (data instanceof RawJson raw) {
      out.appendBuffer(raw.bytes());
    } else if (data instanceof JsonArray array && array.stream().anyMatch(RawJson.class::isInstance)) {
      out.appendByte((byte) '[');
      for (int i = 0; i < array.size(); i++) {
        if (i > 0) {
          out.appendByte((byte) ',');
        }
        value(out, array.getValue(i));
      }
      out.appendByte((byte) ']');
    } else {
      out.appendBuffer(Json.encodeToBuffer(data));
    }
  }

  private static int rawLength(List<SourceResult> results) {
    int length = 0;
    for (SourceResult result : results) {
      if (result.data() instanceof RawJson raw) {
        length += raw.bytes().length();
      }
    }
    return length;
  }

  /**
   * The worst of the required sources' failures decides, by its kind's status: the client's own mistake
   * (400) first, then a timeout (504), then "try again later" (503: shed, circuit open, database unavailable),
   * and any other failure is a bad gateway (502). {@code Retry-After} goes with it only when every failure of
   * the deciding status knows when a retry is worth it (an open breaker knows its next probe); then the
   * latest of those moments, since the answer can only be complete once all of them have passed.
   */
  static Verdict verdict(List<Failure> requiredFailures) {
    if (requiredFailures.isEmpty()) {
      return Verdict.OK;
    }
    int status = 502;
    for (Failure failure : requiredFailures) {
      if (rank(edgeStatus(failure)) > rank(status)) {
        status = edgeStatus(failure);
      }
    }
    long retryAfterMs = -1;
    for (Failure failure : requiredFailures) {
      if (edgeStatus(failure) == status) {
        if (failure.retryAfterMs().isEmpty()) {
          return new Verdict(status, OptionalLong.empty());
        }
        retryAfterMs = Math.max(retryAfterMs, failure.retryAfterMs().getAsLong());
      }
    }
    return new Verdict(status, OptionalLong.of(retryAfterMs));
  }

  /** A kind's status as an aggregate can answer it: a source's own 404 or 409 is still a bad gateway here. */
  private static int edgeStatus(Failure failure) {
    int status = failure.kind().httpStatus();
    return status == 400 || status == 503 || status == 504 ? status : 502;
  }

  private static int rank(int status) {
    return switch (status) {
      case 400 -> 3;
      case 504 -> 2;
      case 503 -> 1;
      default -> 0;
    };
  }

  private static byte[] ascii(String text) {
    return text.getBytes(StandardCharsets.US_ASCII);
  }
}
