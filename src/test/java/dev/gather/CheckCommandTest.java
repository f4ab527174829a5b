package dev.gather;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code java -jar gather.jar check [FILE]}: exit 0 for a good config, 1 with every mistake listed otherwise. */
class CheckCommandTest {

  private static String run(Path file, int expectedExit) throws Exception {
    PrintStream original = System.out;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      assertEquals(expectedExit, Main.check(file));
    } finally {
      System.setOut(original);
    }
    return captured.toString(StandardCharsets.UTF_8);
  }

  @Test
  void theShippedConfigPasses() throws Exception {
    String out = run(Path.of("conf", "config.json"), 0);
    assertTrue(out.contains("conf/config.json: OK"), out);
  }

  @Test
  void aBrokenConfigFailsListingEveryMistake(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("bad.json"), """
        {
          "http": {"port": 99999},
          "upstreams": {"users": {"url": "not a url"}},
          "aggregates": {"dash": {"path": "/aggregate/dash", "sources": {
            "a": {"upstream": "orders", "path": "/a"},
            "b": {"upstream": "users", "path": "/b/{c.id}"},
            "c": {"upstream": "users", "path": "/c/{b.id}"}
          }}}
        }
        """);
    String out = run(file, 1);
    assertTrue(out.contains("http.port = 99999"), out);
    assertTrue(out.contains("upstreams.users.url"), out);
    assertTrue(out.contains("sources.a.upstream = \"orders\": no such upstream"), out);
    assertTrue(out.contains("dependency cycle among [b, c]"), out);
  }
}
