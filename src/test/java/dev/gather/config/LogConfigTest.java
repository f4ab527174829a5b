package dev.gather.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code log.format}: text unless told, json from the file or from GATHER_LOG_FORMAT, nothing else. */
class LogConfigTest {

  @Test
  void logsAreTextUnlessConfigured() {
    assertEquals(LogConfig.Format.TEXT, GatherConfig.from(new JsonObject()).log().format());
  }

  @Test
  void theEnvironmentVariableSwitchesToJson() {
    JsonObject merged = new JsonObject().put("GATHER_LOG_FORMAT", "json");
    assertEquals(LogConfig.Format.JSON, GatherConfig.from(ConfigLoader.applyOverrides(merged)).log().format());
  }

  @Test
  void anUnknownFormatNamesTheKeyAndBothFormats() {
    JsonObject tree = new JsonObject().put("log", new JsonObject().put("format", "logfmt"));
    List<String> problems = assertThrows(ConfigException.class, () -> GatherConfig.from(tree)).problems();
    assertEquals(List.of("log.format = \"logfmt\": not a log format; use \"text\" (lines for a terminal) or \"json\" "
        + "(one JSON object per line, for a log collector)"), problems);
  }
}
