package dev.gather.config;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class ReadmeConfigTableTest {

  @Test
  void theReadmeDocumentsEveryConfigKeyWithItsEnvironmentNameAndDefault() throws Exception {
    String readme = Files.readString(Path.of("README.md"));
    for (ConfigKey key : ConfigKey.values()) {
      String row = "| `" + key.path() + "` | `" + key.envName() + "` | "
          + (key.defaultValue().isEmpty() ? "(empty)" : "`" + key.defaultValue() + "`") + " |";
      assertTrue(readme.contains(row), "README.md lacks the row for " + key.path() + ": " + row);
    }
  }

  @Test
  void theReadmeDocumentsEveryKeyOfAnAggregateAndOfItsSources() throws Exception {
    String readme = Files.readString(Path.of("README.md"));
    for (String key : AggregateConfig.KEYS) {
      String row = key.equals("sources") ? "| `aggregates.<name>.sources.<source>` |"
          : "| `aggregates.<name>." + key + "` |";
      assertTrue(readme.contains(row), "README.md lacks the row " + row);
    }
    String sourcesRow = readme.lines().filter(line -> line.startsWith("| `aggregates.<name>.sources.<source>` |"))
        .findFirst().orElseThrow(() -> new AssertionError("README.md lacks the row for aggregates.<name>.sources"));
    for (String key : SourceConfig.KEYS) {
      String row = "| `aggregates.<name>.sources.<source>." + key + "` |";
      assertTrue(readme.contains(row) || sourcesRow.contains("`" + key + "`"),
          "README.md documents source key " + key + " neither in a row " + row + " nor in the sources row");
    }
  }

  @Test
  void theReadmeDocumentsEveryKeyOfASchedule() throws Exception {
    String readme = Files.readString(Path.of("README.md"));
    for (String key : ScheduleConfig.KEYS) {
      String row = "| `jobs.schedules.<name>." + key + "` |";
      assertTrue(readme.contains(row), "README.md lacks the row " + row);
    }
  }

  @Test
  void theReadmeDocumentsEveryKeyOfAnUpstream() throws Exception {
    String readme = Files.readString(Path.of("README.md"));
    for (String key : UpstreamConfig.KEYS) {
      // A section (tls, circuitBreaker, retryBudget) is documented by its own keys' rows.
      String row = "| `upstreams.<name>." + key;
      assertTrue(readme.contains(row + "` |") || readme.contains(row + "."),
          "README.md lacks the row for upstreams.<name>." + key);
    }
    for (String key : TlsConfig.KEYS) {
      String row = "| `upstreams.<name>.tls." + key + "` |";
      assertTrue(readme.contains(row), "README.md lacks the row " + row);
    }
  }

  @Test
  void theReadmeDocumentsEveryKeyOfAJobKind() throws Exception {
    String readme = Files.readString(Path.of("README.md"));
    for (String key : JobKindConfig.KEYS) {
      String row = "| `jobs.kinds.<kind>." + key;
      assertTrue(readme.contains(row + "` |") || readme.contains(row + "."), "README.md lacks the row " + row);
    }
    for (String key : JobKindConfig.CONCURRENCY_KEYS) {
      assertTrue(readme.contains("| `jobs.kinds.<kind>.concurrency." + key + "` |"), "README.md lacks concurrency." + key);
    }
    for (String key : JobKindConfig.RATE_KEYS) {
      assertTrue(readme.contains("| `jobs.kinds.<kind>.rate." + key + "` |"), "README.md lacks rate." + key);
    }
  }
}
