package dev.gather.http;

import dev.gather.wire.HeaderNames;
import io.vertx.ext.web.RoutingContext;
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
  private static final Pattern ACCEPTED = Pattern.compile("[A-Za-z0-9._:\\-]{1,128}");

  private RequestIds() {}

  public static void assign(RoutingContext ctx) {
    String given = ctx.request().getHeader(HeaderNames.REQUEST_ID);
    String id = given != null && ACCEPTED.matcher(given).matches() ? given : fresh();
    ctx.put(KEY, id);
    ctx.response().putHeader(HeaderNames.REQUEST_ID, id);
    ctx.next();
  }

  public static String of(RoutingContext ctx) {
    String id = ctx.get(KEY);
    return id == null ? "-" : id;
  }

  // ThreadLocalRandom, not UUID.randomUUID(): no shared SecureRandom on the hot path of every request.
  private static String fresh() {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    return Long.toHexString(random.nextLong() | Long.MIN_VALUE) + Long.toHexString(random.nextLong() | Long.MIN_VALUE);
  }
}
