package dev.gather.server;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageCodec;

/**
 * Passes records between verticles of one JVM by reference (compute calls and run orders to the job lanes and
 * runners). Records are immutable, so sharing them across event loops is safe, and nothing is encoded as JSON
 * only to be decoded again.
 */
public final class LocalCodec implements MessageCodec<Object, Object> {
  public static final String NAME = "gather-local";

  @Override
  public void encodeToWire(Buffer buffer, Object value) {
    throw new IllegalStateException("gather's event-bus messages are local only; "
        + value.getClass().getName() + " cannot be sent to another JVM");
  }

  @Override
  public Object decodeFromWire(int pos, Buffer buffer) {
    throw new IllegalStateException("gather's event-bus messages are local only");
  }

  @Override
  public Object transform(Object value) {
    return value;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public byte systemCodecID() {
    return -1;
  }

  /** Every record sent on the bus travels by reference; everything else keeps Vert.x's own codecs. */
  public static String select(Object body) {
    return body instanceof Record ? NAME : null;
  }
}
