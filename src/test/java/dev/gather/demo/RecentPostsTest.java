package dev.gather.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

class RecentPostsTest {
  @Test
  void onlyTheNewestPostsAreKept() {
    RecentPosts posts = new RecentPosts(100);
    for (int i = 0; i < RecentPosts.KEPT + 1; i++) {
      posts.add(new JsonObject().put("title", "post " + i));
    }
    assertNull(posts.get(100), "the oldest is gone");
    assertNotNull(posts.get(101));
    assertEquals("post " + RecentPosts.KEPT, posts.get(100 + RecentPosts.KEPT).getString("title"));
  }

  @Test
  void whatIsReadCannotChangeWhatIsKept() {
    RecentPosts posts = new RecentPosts(1);
    posts.get(posts.add(new JsonObject().put("title", "a")).getLong("id")).put("title", "changed");
    assertEquals("a", posts.get(1).getString("title"));
  }
}
