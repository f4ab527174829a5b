package dev.gather.http;

import dev.gather.logging.RequestLogFields;
import dev.gather.wire.HeaderNames;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

/**
 * Gives every request an id: the caller's {@code X-Request-Id} when it is sane, a fresh one otherwise. The id
 * goes back in the response header, into the access log and into every problem body, so one string ties a
 * client's complaint to the server's log lines.
 */
public final class RequestIds {
  private static final String KEY = "requestId";
  // Bounded and log-safe: no spaces, quotes or control characters from a client reach the logs.
  private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.ISO_8859_1);
  private static final Pattern ACCEPTED = Pattern.compile("[A-Za-z0-9._:\\-]{1,128}");

  private RequestIds() {}

  public static void assign(RoutingContext ctx) {
    String given = ctx.request().getHeader(HeaderNames.REQUEST_ID);
    String id = of(given);
    ctx.put(KEY, id);
    ctx.response().putHeader(HeaderNames.REQUEST_ID, id);
    RequestLogFields.bind(RequestLogFields.REQUEST_ID, id);
    ctx.next();
  }

  /**
   * The id of a request answered outside the router (the codec's refusals, a connection's deadlines): the
   * client's when sane, a fresh one otherwise.
   */
  public static String of(String given) {
    return given != null && ACCEPTED.matcher(given).matches() ? given : fresh();
  }

  /**
   * The request's id. One the router refused before any route ran (an asterisk or authority target) has not
   * been given one yet: it gets it now, header included, so that its problem answer names an id too.
   */
  public static String of(RoutingContext ctx) {
    String id = ctx.get(KEY);
    if (id == null) {
      id = of(ctx.request().getHeader(HeaderNames.REQUEST_ID));
      ctx.put(KEY, id);
      if (!ctx.response().headWritten()) {
        ctx.response().putHeader(HeaderNames.REQUEST_ID, id);
      }
    }
    return id;
  }

  // ThreadLocalRandom, not UUID.randomUUID(): no shared SecureRandom on the hot path of every request. 32 hex
  // digits written straight into one array (the top bit of each half set, as the ids have always looked).
  static String fresh() {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    byte[] id = new byte[32];
    hex(random.nextLong() | Long.MIN_VALUE, id, 0);
    hex(random.nextLong() | Long.MIN_VALUE, id, 16);
    return new String(id, StandardCharsets.ISO_8859_1);
  }

  private static void hex(long value, byte[] into, int at) {
    for (int i = at + 15; i >= at; i--) {
      into[i] = HEX[(int) (value & 0xF)];
      value >>>= 4;
    }
  }
}
