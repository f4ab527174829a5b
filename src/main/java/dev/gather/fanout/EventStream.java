package dev.gather.fanout;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gather.http.LiveStreams;
import dev.gather.shape.Nodes;
import dev.gather.time.Timers;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.impl.HttpServerConnection;
import io.vertx.core.json.Json;
import java.util.ArrayDeque;

/**
 * One streamed aggregate answer: an event per source as it settles, then one that ends it with the status the
 * answer would have had unstreamed. The head (200, the stream's content type) goes out at once.
 *
 * <p>A slow reader holds the writes, not the sources: while the connection's write queue is full, events wait
 * here, and at most one per source and the end ever wait, since each source settles once; the upstream calls
 * run on and end as they would. A reader that has not taken the whole answer {@code stallMs} after the last
 * source settled is cut off (its connection is closed), so a client that stops reading cannot hold a
 * connection and its buffers for ever. Runs on the request's event loop only.
 */
final class EventStream {
  private final HttpServerResponse response;
  private final HttpConnection connection;
  private final boolean http1;
  private final StreamFormat format;
  private final Timers timers;
  private final long stallMs;
  /** Events not yet handed to the connection: bounded by the number of sources, plus the end. */
  private final ArrayDeque<Buffer> held;
  private boolean ending;
  private boolean ended;
  /** A write of ours the socket has not taken yet. */
  private boolean writing;
  /** From the end event on: cuts a reader that has not taken the whole answer within {@code stallMs}. */
  private Timers.Scheduled stall;

  private EventStream(HttpServerRequest request, StreamFormat format, Timers timers, long stallMs, int sources) {
    this.response = request.response();
    this.connection = request.connection();
    this.http1 = request.version() != HttpVersion.HTTP_2;
    this.format = format;
    this.timers = timers;
    this.stallMs = stallMs;
    this.held = new ArrayDeque<>(sources + 1);
  }

  /** Writes the head of the stream; the answer is 200 whatever the sources do, the end event tells. */
  static EventStream open(HttpServerRequest request, StreamFormat format, Timers timers, long stallMs,
      int sources) {
    HttpServerResponse response = request.response();
    LiveStreams.start(response, format.contentType());
    response.writeHead();
    return new EventStream(request, format, timers, stallMs, sources);
  }

  /** {@code {"source":…, status, ms, … "data"|"error"}}: what {@code sources} says of it, with its data or error. */
  void source(SourceResult result) {
    Buffer json = Buffer.buffer(128);
    json.appendString("{\"source\":").appendString(Json.encode(result.name())).appendByte((byte) ',');
    Envelope.sourceFields(json, result, false);
    if (result.hasData()) {
      json.appendString(",\"data\":");
      Envelope.value(json, result.data());
    }
    if (!result.ok()) {
      json.appendString(",\"error\":");
      Envelope.error(json, result);
    }
    offer(format.frame(StreamFormat.SOURCE_EVENT, json.appendByte((byte) '}')));
  }

  /**
   * {@code {"complete":…, "status":…}}, with {@code detail} (why the status is not 200) and {@code data} (the
   * aggregate's shape, when it has one) when not null; then the answer ends once every event is written.
   */
  void end(boolean complete, int status, String detail, JsonNode shaped) {
    Buffer json = Buffer.buffer(64);
    json.appendString("{\"complete\":").appendString(String.valueOf(complete))
        .appendString(",\"status\":").appendString(String.valueOf(status));
    if (detail != null) {
      json.appendString(",\"detail\":").appendString(Json.encode(detail));
    }
    if (shaped != null) {
      json.appendString(",\"data\":").appendBuffer(Nodes.encode(shaped));
    }
    ending = true;
    stall = timers.schedule(stallMs, this::cut);
    offer(format.frame(StreamFormat.END_EVENT, json.appendByte((byte) '}')));
  }

  /**
   * Closes the connection of a reader that stopped taking the answer. Not by {@code reset()} or {@code close()}:
   * on HTTP/1.1 both wait for the bytes already queued, which a stopped reader never takes; the channel itself
   * is closed under Vert.x's handlers, with a reset. An HTTP/2 stream is reset alone, its connection serves others.
   */
  private void cut() {
    if (response.closed()) {
      return;
    }
    held.clear();
    if (http1 && connection instanceof HttpServerConnection internal) {
      Channel channel = internal.channelHandlerContext().channel();
      // A reset, not a close: the kernel drops what the reader never took instead of holding on to it.
      channel.config().setOption(ChannelOption.SO_LINGER, 0);
      // From the first handler on, past Vert.x's own, which would wait for the queued bytes to be flushed first.
      channel.pipeline().firstContext().close();
    } else {
      response.reset();
    }
  }

  private void offer(Buffer event) {
    if (response.closed()) {
      held.clear();
      return; // the client left: the run is being cancelled, and nobody reads what is left
    }
    held.add(event);
    flush();
  }

  /**
   * Hands held events to the connection while it takes them: one at a time, each once the one before has left
   * for the socket, and none while the connection says its queue is full (then its drain resumes). Vert.x 5
   * reports a full queue only once a write has been flushed, so a single large event would otherwise pass
   * every check; waiting for the previous write to be taken is what makes a reader's pace hold the next one.
   */
  private void flush() {
    if (response.closed()) {
      held.clear();
      return;
    }
    if (writing) {
      return; // the write under way resumes the flush when the socket has taken it
    }
    if (!held.isEmpty()) {
      if (response.writeQueueFull()) {
        response.drainHandler(drained -> flush());
        return;
      }
      writing = true;
      response.write(held.poll()).onComplete(written -> {
        writing = false;
        flush();
      });
    } else if (ending && !ended) {
      ended = true;
      // Done once the last bytes left for the socket: a reader that stops before then is cut at stallMs.
      response.end().onComplete(written -> stall.cancel());
    }
  }
}
