package dev.gather.http;

import dev.gather.wire.HeaderNames;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;

/**
 * Answers the requests the HTTP codec refused before any route could see them (a request line or headers too
 * long, a malformed request line or header, a bad {@code Content-Length}, both {@code Content-Length} and
 * {@code Transfer-Encoding}) as problem+json with a request id, like every other answer, and closes the
 * connection: after a framing error nothing that follows on it can be trusted to start a request. Vert.x's own
 * handler sends a body-less status instead.
 */
public final class InvalidRequests implements Handler<HttpServerRequest> {
  /**
   * A refusal of gather's own, set as a request's decoder result where Netty lets the request through:
   * {@link #AMBIGUOUS_LENGTH}, {@link #BAD_TRANSFER_ENCODING}, {@link #UNSUPPORTED_VERSION}.
   */
  public static final class Refusal extends RuntimeException {
    private final String type;

    private Refusal(String type, String detail) {
      super(detail, null, false, false);
      this.type = type;
    }
  }

  /** Both Content-Length and Transfer-Encoding: two ways to frame one body (RFC 9112 6.1, request smuggling). */
  public static final Refusal AMBIGUOUS_LENGTH = new Refusal("ambiguous-length", "the request has both "
      + "Content-Length and Transfer-Encoding, which could frame its body two ways (RFC 9112 6.1); send one of them");
  /** A Transfer-Encoding whose last coding is not chunked: the body's end cannot be found (RFC 9112 6.1). */
  public static final Refusal BAD_TRANSFER_ENCODING = new Refusal("bad-transfer-encoding", "Transfer-Encoding "
      + "must end with chunked, or the body's length cannot be known (RFC 9112 6.1); send chunked or Content-Length");
  /** A version other than HTTP/1.0 and HTTP/1.1 (HTTP/2 is not served in cleartext). */
  public static final Refusal UNSUPPORTED_VERSION = new Refusal("unsupported-version",
      "only HTTP/1.1 and HTTP/1.0 are served; send HTTP/1.1");

  private final int maxInitialLineLength;
  private final int maxHeaderSize;

  public InvalidRequests(int maxInitialLineLength, int maxHeaderSize) {
    this.maxInitialLineLength = maxInitialLineLength;
    this.maxHeaderSize = maxHeaderSize;
  }

  @Override
  public void handle(HttpServerRequest request) {
    ApiError error = error(request.decoderResult());
    String given;
    try {
      given = request.headers().get(HeaderNames.REQUEST_ID);
    } catch (RuntimeException partlyParsed) {
      given = null;
    }
    String id = RequestIds.of(given);
    // What the codec read of the target may be cut off or hostile: the instance names none of it.
    request.response()
        .setStatusCode(error.status())
        .putHeader(HeaderNames.CONTENT_TYPE, Problems.CONTENT_TYPE)
        .putHeader(HeaderNames.REQUEST_ID, id)
        .putHeader(HttpHeaders.CONNECTION, HttpHeaders.CLOSE)
        .end(Problems.body(error, "", id).toBuffer())
        .onComplete(sent -> request.connection().close());
  }

  private ApiError error(DecoderResult result) {
    Throwable cause = result == null ? null : result.cause();
    if (cause instanceof TooLongHttpLineException) {
      return new ApiError(414, "uri-too-long", "the request line is longer than " + maxInitialLineLength
          + " bytes; send a shorter URI");
    }
    if (cause instanceof TooLongHttpHeaderException) {
      return new ApiError(431, "headers-too-large", "the request headers are larger than " + maxHeaderSize
          + " bytes; send fewer or shorter headers");
    }
    if (cause instanceof Refusal refusal) {
      return new ApiError(400, refusal.type, refusal.getMessage());
    }
    if (cause instanceof TooLongFrameException) {
      return new ApiError(400, "bad-request", "a part of the request is too long");
    }
    String message = cause == null || cause.getMessage() == null ? "" : cause.getMessage();
    // The codec's messages may quote what the client sent: only which part was wrong is passed on.
    if (message.contains("Content-Length") || cause instanceof NumberFormatException) {
      return new ApiError(400, "bad-content-length", "Content-Length is not one non-negative decimal number");
    }
    if (message.toLowerCase(java.util.Locale.ROOT).contains("header")) {
      return new ApiError(400, "bad-header", "a header is malformed (its name must be a token, followed by a colon)");
    }
    if (message.toLowerCase(java.util.Locale.ROOT).contains("chunk")) {
      return new ApiError(400, "bad-chunk", "the chunked body is malformed");
    }
    return new ApiError(400, "bad-request-line", "the request could not be parsed; send METHOD /path HTTP/1.1");
  }
}
