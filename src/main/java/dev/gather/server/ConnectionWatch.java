package dev.gather.server;

import dev.gather.http.ApiError;
import dev.gather.http.InvalidRequests;
import dev.gather.http.Problems;
import dev.gather.http.RequestIds;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.impl.HttpServerConnection;
import io.vertx.core.http.impl.VertxHttpRequestDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The deadlines of one HTTP/1.x connection, kept in its Netty pipeline because Vert.x knows of none of them
 * before a request exists: a request head must be complete {@code headerTimeoutMs} after its first byte (else
 * 408 and close), a connection with no request under way closes after {@code idleTimeoutMs}, and a body being
 * read may not send nothing for {@code bodyTimeoutMs} (else 408 and close). Vert.x's own idle timeout is not
 * used: it also counts a request waiting on its upstreams as idle. One timer per connection, rescheduled only
 * when it fires early, so a busy keep-alive connection schedules nothing per request.
 *
 * <p>Also replaces the request decoder with one that refuses a request carrying both {@code Content-Length} and
 * {@code Transfer-Encoding} (Netty drops the Content-Length and goes on; RFC 9112 6.1 lets a server refuse, and
 * a front that frames the body the other way is how requests are smuggled), and marks a version other than
 * HTTP/1.0 or 1.1 invalid (Vert.x would answer it with a body-less 501).
 * Both refusals reach {@link InvalidRequests}, which answers and closes.
 */
final class ConnectionWatch {
  private enum Phase { IDLE, HEAD, BODY, AWAITING_ANSWER }

  private final long headerTimeoutNanos;
  private final long idleTimeoutNanos;
  private final long bodyTimeoutNanos;
  private final ChannelPipeline pipeline;
  private ChannelHandlerContext raw;
  private Phase phase = Phase.IDLE;
  private long since = System.nanoTime();
  private long lastRead = since;
  /** Requests whose answer is not complete yet, and answers whose head has gone out but not their end. */
  private int answersOwed;
  private boolean answerStarted;
  private ScheduledFuture<?> timer;
  private long timerAt;

  private ConnectionWatch(ChannelPipeline pipeline, long headerTimeoutMs, long idleTimeoutMs, long bodyTimeoutMs) {
    this.pipeline = pipeline;
    this.headerTimeoutNanos = TimeUnit.MILLISECONDS.toNanos(headerTimeoutMs);
    this.idleTimeoutNanos = TimeUnit.MILLISECONDS.toNanos(idleTimeoutMs);
    this.bodyTimeoutNanos = TimeUnit.MILLISECONDS.toNanos(bodyTimeoutMs);
  }

  /**
   * Watches {@code connection}, called from the server's connection handler before it has read a byte. Only
   * HTTP/1.x connections (gather serves no other) have the pipeline this expects; others are left alone.
   */
  static void install(HttpConnection connection, HttpServerOptions options, long headerTimeoutMs,
      long idleTimeoutMs, long bodyTimeoutMs) {
    if (!(connection instanceof HttpServerConnection internal)) {
      return;
    }
    ChannelPipeline pipeline = internal.channelHandlerContext().pipeline();
    if (pipeline.get("httpDecoder") == null || pipeline.get("handler") == null) {
      return;
    }
    ConnectionWatch watch = new ConnectionWatch(pipeline, headerTimeoutMs, idleTimeoutMs, bodyTimeoutMs);
    pipeline.replace("httpDecoder", "httpDecoder", new StrictDecoder(options));
    pipeline.addBefore("httpDecoder", "gatherRawWatch", watch.new RawBytes());
    pipeline.addBefore("handler", "gatherMessageWatch", watch.new Messages());
  }

  /** Closes a connection over http.maxConnections before it reads a byte (so before Vert.x parses a request). */
  static void closeAtOnce(HttpConnection connection) {
    if (connection instanceof HttpServerConnection internal) {
      internal.channelHandlerContext().channel().close();
    } else {
      connection.close();
    }
  }

  /** Netty's decoder, refusing what it would otherwise let through. */
  private static final class StrictDecoder extends VertxHttpRequestDecoder {
    StrictDecoder(HttpServerOptions options) {
      super(options);
    }

    @Override
    protected void handleTransferEncodingChunkedWithContentLength(HttpMessage message) {
      super.handleTransferEncodingChunkedWithContentLength(message);
      message.setDecoderResult(DecoderResult.failure(InvalidRequests.AMBIGUOUS_LENGTH));
    }
  }

  /** First in the pipeline: sees the bytes, so it knows when a head begins and when a body last moved. */
  private final class RawBytes extends ChannelInboundHandlerAdapter {
    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
      raw = ctx;
      arm(since + idleTimeoutNanos);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof ByteBuf bytes && bytes.isReadable()) {
        lastRead = System.nanoTime();
        if (phase == Phase.IDLE || phase == Phase.AWAITING_ANSWER && answersOwed == 0) {
          phase = Phase.HEAD;
          since = lastRead;
        }
      }
      ctx.fireChannelRead(msg);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      // Armed once per read, not per message: a request that arrives whole in one read sets no timer at all.
      switch (phase) {
        case HEAD -> arm(since + headerTimeoutNanos);
        case BODY -> arm(lastRead + bodyTimeoutNanos);
        default -> { }
      }
      ctx.fireChannelReadComplete();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      if (timer != null) {
        timer.cancel(false);
        timer = null;
      }
      ctx.fireChannelInactive();
    }
  }

  /** Last before Vert.x: sees each request's head and end come in, and each answer's head and end go out. */
  private final class Messages extends ChannelDuplexHandler {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof HttpRequest request) {
        if (request.decoderResult().isSuccess() && request.protocolVersion() != HttpVersion.HTTP_1_1
            && request.protocolVersion() != HttpVersion.HTTP_1_0) {
          request.setDecoderResult(DecoderResult.failure(InvalidRequests.UNSUPPORTED_VERSION));
        } else if (request.decoderResult().isSuccess() && !chunkedLast(request)) {
          request.setDecoderResult(DecoderResult.failure(InvalidRequests.BAD_TRANSFER_ENCODING));
        }
        answersOwed++;
        phase = Phase.BODY;
      }
      if (msg instanceof LastHttpContent) {
        if (answersOwed == 0) {
          idle(); // answered while its end was on the way in (Vert.x may answer as soon as the head arrives)
        } else {
          phase = Phase.AWAITING_ANSWER;
        }
      }
      ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
      if (msg instanceof HttpResponse response && response.status().code() >= 200) {
        answerStarted = true;
      }
      if (msg instanceof LastHttpContent && answerStarted) {
        answerStarted = false;
        answersOwed = Math.max(0, answersOwed - 1);
        if (answersOwed == 0 && phase == Phase.AWAITING_ANSWER) {
          idle();
        }
      }
      ctx.write(msg, promise);
    }
  }

  private void idle() {
    phase = Phase.IDLE;
    since = System.nanoTime();
    arm(since + idleTimeoutNanos);
  }

  /** True unless the request has a Transfer-Encoding whose last coding is not chunked. */
  private static boolean chunkedLast(HttpRequest request) {
    List<String> codings = request.headers().getAll(HttpHeaderNames.TRANSFER_ENCODING);
    if (codings.isEmpty()) {
      return true;
    }
    String last = codings.get(codings.size() - 1);
    int comma = last.lastIndexOf(',');
    return (comma < 0 ? last : last.substring(comma + 1)).trim().equalsIgnoreCase("chunked");
  }

  /** Makes sure a check runs by {@code at}; a check that finds its deadline moved reschedules itself. */
  private void arm(long at) {
    if (timer != null && timerAt <= at) {
      return;
    }
    if (timer != null) {
      timer.cancel(false);
    }
    timerAt = at;
    timer = raw.executor().schedule(this::check, Math.max(0, at - System.nanoTime()), TimeUnit.NANOSECONDS);
  }

  private void check() {
    timer = null;
    if (!raw.channel().isActive()) {
      return;
    }
    long now = System.nanoTime();
    switch (phase) {
      case IDLE -> {
        if (now - since >= idleTimeoutNanos) {
          raw.channel().close();
        } else {
          arm(since + idleTimeoutNanos);
        }
      }
      case HEAD -> {
        if (now - since >= headerTimeoutNanos) {
          refuse(new ApiError(408, "header-timeout", "the request head was not complete within "
              + "http.headerTimeoutMs (" + TimeUnit.NANOSECONDS.toMillis(headerTimeoutNanos) + " ms)"));
        } else {
          arm(since + headerTimeoutNanos);
        }
      }
      case BODY -> {
        if (!raw.channel().config().isAutoRead()) {
          // gather stopped reading (the body's consumer pushes back): the client is not the one stalling.
          lastRead = now;
          arm(now + bodyTimeoutNanos);
        } else if (now - lastRead >= bodyTimeoutNanos) {
          refuse(new ApiError(408, "body-timeout", "the request body sent nothing for http.bodyTimeoutMs ("
              + TimeUnit.NANOSECONDS.toMillis(bodyTimeoutNanos) + " ms)"));
        } else {
          arm(lastRead + bodyTimeoutNanos);
        }
      }
      default -> { } // the answer is gather's to give: http.requestTimeoutMs bounds it
    }
  }

  /**
   * A 408 written below Vert.x (whose request, if any, is still reading its body), then the connection closed.
   * Written only when no answer is under way on the connection, which the bytes would corrupt; else just closed.
   */
  private void refuse(ApiError error) {
    boolean answerPending = phase == Phase.BODY ? answersOwed > 1 || answerStarted : answersOwed > 0;
    if (answerPending) {
      raw.channel().close();
      return;
    }
    String id = RequestIds.of((String) null);
    byte[] body = Problems.body(error, "", id).encode().getBytes(StandardCharsets.UTF_8);
    String head = "HTTP/1.1 408 Request Timeout\r\nContent-Type: " + Problems.CONTENT_TYPE + "\r\nX-Request-Id: " + id
        + "\r\nConnection: close\r\nContent-Length: " + body.length + "\r\n\r\n";
    ByteBuf bytes = Unpooled.wrappedBuffer(head.getBytes(StandardCharsets.ISO_8859_1), body);
    raw.channel().config().setAutoRead(false); // nothing more is read from this connection
    raw.writeAndFlush(bytes).addListener(written -> raw.channel().close());
  }
}
