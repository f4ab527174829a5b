package dev.gather.demo;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Locale;

/**
 * The demo upstream's fake users and posts. Everything is computed from the id, never drawn at random, so a
 * test or a tutorial can state what /users/3 answers, and it answers the same on every machine and every run.
 */
final class DemoData {
  static final int USER_COUNT = 10;
  static final int POSTS_PER_USER = 3;

  private static final String[] FIRST_NAMES = {
      "Ada", "Brendan", "Grace", "Dennis", "Barbara", "Ken", "Margaret", "Linus", "Radia", "Edsger"};
  // Same order as the first names, but picked with a step of 3: coprime to 10, so each is used once, and never
  // beside its own first name (3i = i - 1 has no solution mod 10).
  private static final String[] LAST_NAMES = {
      "Lovelace", "Eich", "Hopper", "Ritchie", "Liskov", "Thompson", "Hamilton", "Torvalds", "Perlman", "Dijkstra"};
  private static final String[] TOPICS = {
      "back-pressure", "event loops", "connection pools", "timeouts", "retries", "idempotency", "fan-out",
      "circuit breakers", "structured logs", "graceful shutdown", "cold caches"};
  private static final String[] TAKES = {
      "are simpler than they look", "deserve a second look", "bite when you least expect it",
      "are mostly about saying no", "need measuring before tuning"};

  private DemoData() {}

  static boolean isUser(int id) {
    return id >= 1 && id <= USER_COUNT;
  }

  static JsonArray users() {
    JsonArray users = new JsonArray();
    for (int id = 1; id <= USER_COUNT; id++) {
      users.add(user(id));
    }
    return users;
  }

  static JsonObject user(int id) {
    String first = FIRST_NAMES[id - 1];
    String username = first.toLowerCase(Locale.ROOT) + id;
    return new JsonObject()
        .put("id", id)
        .put("name", first + " " + LAST_NAMES[(id * 3) % USER_COUNT])
        .put("username", username)
        // .test is reserved (RFC 2606): no mail sent to a demo address can reach a real person.
        .put("email", username + "@example.test")
        // The next two ids round the circle: never the user itself, and every user has friends to fetch.
        .put("friendIds", new JsonArray().add(id % USER_COUNT + 1).add((id + 1) % USER_COUNT + 1));
  }

  /** Empty for an id with no user, as a filter over a real collection would be. */
  static JsonArray postsOf(int userId) {
    JsonArray posts = new JsonArray();
    if (!isUser(userId)) {
      return posts;
    }
    for (int n = 0; n < POSTS_PER_USER; n++) {
      int postId = (userId - 1) * POSTS_PER_USER + n + 1;
      String topic = TOPICS[(userId + n * 4) % TOPICS.length];
      posts.add(new JsonObject()
          .put("id", postId)
          .put("userId", userId)
          .put("title", "Notes on " + topic)
          .put("body", capitalise(topic) + " " + TAKES[postId % TAKES.length] + "."));
    }
    return posts;
  }

  /** One of the computed posts by its id, or null when no user has it. */
  static JsonObject post(int postId) {
    if (postId < 1 || postId > USER_COUNT * POSTS_PER_USER) {
      return null;
    }
    return postsOf((postId - 1) / POSTS_PER_USER + 1).getJsonObject((postId - 1) % POSTS_PER_USER);
  }

  private static String capitalise(String text) {
    return Character.toUpperCase(text.charAt(0)) + text.substring(1);
  }
}
