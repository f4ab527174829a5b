package dev.gather.proxy;

import dev.gather.http.ApiError;
import dev.gather.upstream.Upstreams;
import io.vertx.ext.web.RoutingContext;

/**
 * {@code ANY /proxy/{upstream}/{path}}: a pass-through to configured upstreams only, never an open proxy. The
 * request target is checked before routing (a path that only normalizes to /proxy/... is checked too), bodies
 * stream both ways, and the upstream's timeout bounds the wait for its answer.
 */
public final class ProxyApi {
  private static final String TARGET = "gather.proxy.target";

  private final Upstreams upstreams;

  public ProxyApi(Upstreams upstreams) {
    this.upstreams = upstreams;
  }

  /**
   * Runs for every request, before routing: the router matches on the normalized path, in which
   * {@code /proxy/a/../../users} has already become {@code /users}; the raw target has to be judged instead,
   * whether its path or its normalized path is under /proxy/ (an absolute-form target has a path of its own).
   */
  public void guard(RoutingContext ctx) {
    String raw = ctx.request().uri();
    String normalized;
    try {
      normalized = ctx.normalizedPath();
    } catch (IllegalArgumentException e) { // Vert.x decodes while it normalizes: %zz is not an escape
      throw new ApiError(400, "bad-path", "the path holds a % that does not start a %XX escape");
    }
    if (!raw.startsWith(ProxyTarget.PREFIX) && !ctx.request().path().startsWith(ProxyTarget.PREFIX)
        && !normalized.startsWith(ProxyTarget.PREFIX)) {
      ctx.next();
      return;
    }
    ProxyTarget.Result parsed = ProxyTarget.parse(raw);
    if (parsed.target().isEmpty()) {
      throw new ApiError(400, "bad-proxy-target", "refused: " + parsed.refusal());
    }
    ctx.put(TARGET, parsed.target().get());
    ctx.next();
  }

  public void forward(RoutingContext ctx) {
    ProxyTarget target = ctx.get(TARGET);
    var upstream = upstreams.find(target.upstream()).orElseThrow(() ->
        new ApiError(404, "unknown-upstream", "no upstream named \"" + target.upstream() + "\" is configured"));
    new ProxyExchange(ctx, upstream, target).run();
  }
}
