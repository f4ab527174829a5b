package dev.gather.cache;

import dev.gather.http.ApiError;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.Set;
import java.util.TreeSet;

/**
 * {@code DELETE /admin/cache?upstream=<name>&pathPrefix=/x} (or {@code ?query=<name>}): removes the cached answers
 * of one upstream under a path prefix (all of them without one), or of one SQL query, from this process's memory,
 * from Redis and, through Redis's purge channel, from the other replicas' memory. Answers 200 with the counts and
 * {@code replicas}, how many gathers Redis passed the purge to; 503 when Redis did not take the purge or pass it
 * on (this memory is purged either way; Redis or other replicas may still hold some); 400 for an unknown upstream
 * or query. In the {@code admin} route group, whose
 * {@code auth.routes.admin} policy protects it.
 */
public final class CacheAdmin {
  private final SourceCache cache;
  private final Set<String> upstreams;
  private final Set<String> queries;

  public CacheAdmin(SourceCache cache, Set<String> upstreams, Set<String> queries) {
    this.cache = cache;
    this.upstreams = new TreeSet<>(upstreams);
    this.queries = new TreeSet<>(queries);
  }

  public void purge(RoutingContext ctx) {
    String upstream = ctx.queryParams().get("upstream");
    String query = ctx.queryParams().get("query");
    String pathPrefix = ctx.queryParams().get("pathPrefix");
    if ((upstream == null) == (query == null)) {
      throw ApiError.badRequest("name what to purge: ?upstream=<name> (with &pathPrefix=/path if not all of it) or "
          + "?query=<name>, one of them");
    }
    CacheKey.Kind kind = upstream != null ? CacheKey.Kind.UPSTREAM : CacheKey.Kind.QUERY;
    String name = upstream != null ? upstream : query;
    Set<String> known = upstream != null ? upstreams : queries;
    if (!known.contains(name)) {
      throw ApiError.badRequest("no " + (upstream != null ? "upstream" : "query") + " named \"" + name
          + "\"; configured: " + known);
    }
    if (pathPrefix != null && (query != null || !pathPrefix.startsWith("/"))) {
      throw ApiError.badRequest(query != null ? "pathPrefix goes with upstream, not query"
          : "pathPrefix must start with /, e.g. /users/ (a path of the upstream, as sources write it)");
    }
    cache.purge(kind, name, pathPrefix == null ? "" : pathPrefix).onComplete(done -> {
      if (ctx.response().ended() || ctx.response().closed()) {
        return;
      }
      if (done.failed()) {
        ctx.fail(done.cause());
        return;
      }
      SourceCache.Purged purged = done.result();
      JsonObject counts = new JsonObject().put("memory", purged.memory());
      purged.redis().ifPresent(n -> counts.put("redis", n));
      if (purged.incomplete().isPresent()) {
        JsonObject extensions = new JsonObject().put("purged", counts);
        purged.replicas().ifPresent(n -> extensions.put("replicas", n));
        ctx.fail(new ApiError(503, "cache-purge-incomplete", "removed " + purged.memory() + " answer(s) from memory, "
            + "but " + purged.incomplete().get() + "; retry", extensions));
        return;
      }
      JsonObject answer = new JsonObject().put(upstream != null ? "upstream" : "query", name)
          .put("pathPrefix", pathPrefix == null ? "" : pathPrefix).put("purged", counts);
      purged.replicas().ifPresent(n -> answer.put("replicas", n));
      ctx.json(answer);
    });
  }
}
