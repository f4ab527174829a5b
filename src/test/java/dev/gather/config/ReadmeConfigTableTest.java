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
}
