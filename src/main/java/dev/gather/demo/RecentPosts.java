package dev.gather.demo;

import io.vertx.core.json.JsonObject;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The posts created through the demo upstream, by id: the newest {@link #KEPT} only, so that a client posting
 * in a loop cannot grow the process. Used on the demo verticle's event loop only.
 */
final class RecentPosts {
  static final int KEPT = 1000;

  private long nextId;
  private final Map<Long, JsonObject> posts = new LinkedHashMap<>(16, 0.75f, false) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<Long, JsonObject> eldest) {
      return size() > KEPT;
    }
  };

  /** Ids continue after {@code firstId - 1}, above the computed posts' ids, so the two never collide. */
  RecentPosts(long firstId) {
    this.nextId = firstId;
  }

  /** Stores a copy of {@code post} under a new id and returns it with the id. */
  JsonObject add(JsonObject post) {
    JsonObject stored = new JsonObject().put("id", nextId++).mergeIn(post);
    posts.put(stored.getLong("id"), stored);
    return stored.copy();
  }

  JsonObject get(long id) {
    JsonObject post = posts.get(id);
    return post == null ? null : post.copy();
  }
}
