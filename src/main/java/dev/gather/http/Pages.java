package dev.gather.http;

import dev.gather.db.Page;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.LongFunction;

/**
 * How every keyset-paged list answers: {@code {"items": [...], "next": link}} ({@code next} null on the last
 * page) and the same link in a {@code Link: <...>; rel="next"} header.
 */
public final class Pages {
  private Pages() {}

  /** {@code linkAfter}: the link to the page that continues from a key. */
  public static <T> void send(RoutingContext ctx, Page<T> page, Function<T, JsonObject> json, LongFunction<String> linkAfter) {
    List<Object> items = new ArrayList<>(page.items().size());
    page.items().forEach(item -> items.add(json.apply(item)));
    JsonObject body = new JsonObject().put("items", new JsonArray(items));
    page.next().ifPresentOrElse(next -> {
      String link = linkAfter.apply(next);
      body.put("next", link);
      ctx.response().putHeader("Link", "<" + link + ">; rel=\"next\"");
    }, () -> body.putNull("next"));
    ctx.json(body);
  }
}
