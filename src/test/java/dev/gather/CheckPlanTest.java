package dev.gather;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code gather check --plan FILE}: each aggregate's stages, what each source waits for, and how its deadline
 * and timeouts meet, on a config with a chain of dependencies (profile, then orders, then items).
 */
class CheckPlanTest {
  private static final String CHAIN = """
      {
        "db": {"queryTimeoutMs": 5000},
        "upstreams": {
          "users": {"url": "http://127.0.0.1:9", "timeoutMs": 800, "retries": 2, "tryTimeoutMs": 300},
          "orders": {"url": "http://127.0.0.1:9", "timeoutMs": 600, "hedgeAfterMs": 50}
        },
        "queries": {"account": "SELECT 1"},
        "aggregates": {
          "dashboard": {"path": "/aggregate/dashboard/:userId", "deadlineMs": %d, "sources": {
            "profile": {"upstream": "users", "path": "/users/{userId}", "required": true},
            "account": {"query": "account", "params": ["{userId}"]},
            "orders": {"upstream": "orders", "path": "/orders?user={profile.id}"},
            "friends": {"upstream": "users", "path": "/users/{id}", "forEach": "profile.friendIds", "as": "id",
                        "when": "length(profile.friendIds) > `0`", "fallback": []},
            "items": {"upstream": "orders", "path": "/orders/{orders.0.id}/items"}
          }}
        }
      }
      """;

  private static List<String> plan(Path dir, int deadlineMs) throws Exception {
    Path file = Files.writeString(dir.resolve("chain.json"), CHAIN.formatted(deadlineMs));
    PrintStream original = System.out;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      assertEquals(0, Main.check(file, true));
    } finally {
      System.setOut(original);
    }
    return captured.toString(StandardCharsets.UTF_8).lines().toList();
  }

  private static String line(List<String> out, String start) {
    return out.stream().filter(l -> l.startsWith(start)).findFirst()
        .orElseThrow(() -> new AssertionError("no line starting " + start + " in\n" + String.join("\n", out)));
  }

  /** The line after a source's first line: its timeout and worst case. */
  private static String budget(List<String> out, String source) {
    return out.get(out.indexOf(line(out, "  " + source + " ")) + 1);
  }

  @Test
  void thePlanGroupsSourcesIntoStagesThatRunConcurrently(@TempDir Path dir) throws Exception {
    List<String> out = plan(dir, 1500);
    assertEquals("aggregate dashboard: GET /aggregate/dashboard/:userId, deadline 1500 ms", out.get(1));
    assertEquals(List.of("  stage 1: profile, account (concurrently)", "  stage 2: orders, friends (concurrently)",
        "  stage 3: items"), out.subList(2, 5));
  }

  @Test
  void thePlanSaysWhatEachSourceWaitsForAndHowItCalls(@TempDir Path dir) throws Exception {
    List<String> out = plan(dir, 1500);
    assertTrue(line(out, "  profile ").contains("waits for nothing; GET users /users/{userId}, required"), out.toString());
    assertTrue(line(out, "  items ").contains("waits for orders; GET orders /orders/{orders.0.id}/items, optional"));
    assertTrue(line(out, "  friends ").contains("once per item of profile.friendIds (concurrently), optional, "
        + "only when length(profile.friendIds) > `0`, else []"), out.toString());
    assertTrue(budget(out, "profile").contains("timeout 800 ms (upstreams.users.timeoutMs); up to 3 tries of at most "
        + "300 ms each"), out.toString());
    assertTrue(budget(out, "orders").contains("a second copy after 50 ms"));
    assertTrue(budget(out, "account").contains("timeout 5000 ms (db.queryTimeoutMs)"));
  }

  @Test
  void thePlanShowsWhereTheDeadlineCutsTheChainsTimeouts(@TempDir Path dir) throws Exception {
    List<String> out = plan(dir, 1500);
    assertTrue(budget(out, "profile").endsWith("worst case 0-800 ms"), out.toString());
    assertTrue(budget(out, "orders").endsWith("worst case 800-1400 ms"), out.toString());
    assertTrue(budget(out, "items").endsWith("worst case 1400-1500 ms, cut to the 100 ms left of the deadline"));
    assertEquals("  longest chain: profile -> orders -> items, 2000 ms of timeouts against a 1500 ms deadline: "
        + "the deadline, not the timeouts, bounds it", line(out, "  longest chain"));
    assertEquals("  answer at the latest 1500 ms after the request arrives", line(out, "  answer at"));
  }

  @Test
  void aSourceWhoseWaitsOutlastTheDeadlineIsShownNeverToStart(@TempDir Path dir) throws Exception {
    List<String> out = plan(dir, 1200);
    assertTrue(budget(out, "items").endsWith("worst case never starts: the deadline passes while it waits"),
        out.toString());
    assertFalse(budget(out, "orders").contains("never starts"));
  }

  @Test
  void withoutPlanCheckPrintsOnlyTheVerdict(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("chain.json"), CHAIN.formatted(1500));
    PrintStream original = System.out;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      assertEquals(0, Main.check(file));
    } finally {
      System.setOut(original);
    }
    assertEquals(1, captured.toString(StandardCharsets.UTF_8).lines().count());
  }
}
