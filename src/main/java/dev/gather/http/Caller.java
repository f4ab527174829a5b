package dev.gather.http;

import io.vertx.ext.web.RoutingContext;
import java.util.Map;
import java.util.Set;

/**
 * Who is calling, as the edge established it: a verified token's subject, an API key's name, or nobody (then
 * only the client's address is known). Authentication sets it; rate limits key their buckets by it; templates
 * read a token's claims from it.
 *
 * @param kind how the caller was identified
 * @param id the token's subject or the key's name; the client's address for an anonymous caller
 * @param scopes what the caller may do
 * @param claims a verified token's claims (empty otherwise)
 */
public record Caller(Kind kind, String id, Set<String> scopes, Map<String, Object> claims) {
  private static final String KEY = "gather.caller";

  public enum Kind { ANONYMOUS, JWT, API_KEY }

  public static Caller anonymous(RoutingContext ctx) {
    String address = ctx.request().remoteAddress() == null ? "unknown" : ctx.request().remoteAddress().hostAddress();
    return new Caller(Kind.ANONYMOUS, address, Set.of(), Map.of());
  }

  /** The caller authentication established for this request, else an anonymous one for its address. */
  public static Caller of(RoutingContext ctx) {
    Caller caller = ctx.get(KEY);
    return caller == null ? anonymous(ctx) : caller;
  }

  public static void set(RoutingContext ctx, Caller caller) {
    ctx.put(KEY, caller);
  }
}
