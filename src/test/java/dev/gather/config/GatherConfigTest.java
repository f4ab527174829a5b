package dev.gather.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class GatherConfigTest {

  private static List<String> problems(JsonObject tree) {
    return assertThrows(ConfigException.class, () -> GatherConfig.from(tree)).problems();
  }

  @Test
  void anEmptyTreeGivesTheDocumentedDefaults() {
    GatherConfig config = GatherConfig.from(new JsonObject());
    assertEquals(8080, config.http().port());
    assertEquals(Runtime.getRuntime().availableProcessors(), config.http().instances());
    assertEquals(1_048_576, config.http().maxBodyBytes());
    assertEquals(Optional.empty(), config.db().url());
    assertEquals(8, config.db().poolSize());
    assertTrue(config.db().embedded().dataDir().isAbsolute());
    assertEquals(10_000, config.shutdown().drainMs());
  }

  @Test
  void numbersMayBeGivenAsStringsAsEnvironmentVariablesAre() {
    GatherConfig config = GatherConfig.from(new JsonObject().put("http", new JsonObject().put("port", "9090")));
    assertEquals(9090, config.http().port());
  }

  @Test
  void aPortOutOfRangeNamesTheKeyTheValueAndTheFix() {
    List<String> problems = problems(new JsonObject().put("http", new JsonObject().put("port", 70000)));
    assertEquals(List.of("http.port = 70000: out of range; use an integer from 0 to 65535 (default 8080)"), problems);
  }

  @Test
  void aWordWhereANumberBelongsIsReported() {
    List<String> problems = problems(new JsonObject().put("db", new JsonObject().put("poolSize", "lots")));
    assertEquals(1, problems.size());
    assertTrue(problems.get(0).startsWith("db.poolSize = \"lots\": not a whole number"), problems.get(0));
  }

  @Test
  void aMisspeltKeyIsAnErrorNotSilentlyIgnored() {
    List<String> problems = problems(new JsonObject().put("http", new JsonObject().put("prot", 9090)));
    assertEquals(1, problems.size());
    assertTrue(problems.get(0).startsWith("http.prot: unknown key; keys of http are"), problems.get(0));
    assertTrue(problems.get(0).contains("port"));
  }

  @Test
  void anUnknownSectionIsAnError() {
    List<String> problems = problems(new JsonObject().put("htpp", new JsonObject()));
    assertTrue(problems.get(0).startsWith("htpp: unknown section"), problems.get(0));
  }

  @Test
  void everyMistakeIsListedAtOnce() {
    List<String> problems = problems(new JsonObject()
        .put("http", new JsonObject().put("port", -1).put("instances", "many"))
        .put("db", new JsonObject().put("poolSize", 0)));
    assertEquals(3, problems.size(), problems.toString());
  }

  @Test
  void aBadDatabaseUrlIsReportedWithoutItsPassword() {
    List<String> problems = problems(new JsonObject().put("db", new JsonObject().put("url", "mysql://u:s3cret@h/db")));
    assertEquals(1, problems.size());
    assertTrue(problems.get(0).startsWith("db.url = \"mysql://u:***@h/db\": not a PostgreSQL URL"), problems.get(0));
    assertFalse(problems.get(0).contains("s3cret"));
  }

  @Test
  void environmentNamesAreDerivedFromTheKeyPath() {
    assertEquals("GATHER_HTTP_PORT", ConfigKey.HTTP_PORT.envName());
    assertEquals("GATHER_DB_URL", ConfigKey.DB_URL.envName());
    assertEquals("GATHER_DB_EMBEDDED_DATA_DIR", ConfigKey.DB_EMBEDDED_DATA_DIR.envName());
    assertEquals("gather.db.poolSize", ConfigKey.DB_POOL_SIZE.propertyName());
  }

  @Test
  void aComputeTimeoutNotBelowTheRequestTimeoutIsRefused() {
    List<String> problems = problems(new JsonObject()
        .put("http", new JsonObject().put("requestTimeoutMs", 5000))
        .put("jobs", new JsonObject().put("computeTimeoutMs", 5000)));
    assertEquals(1, problems.size(), problems.toString());
    assertTrue(problems.get(0).startsWith("jobs.computeTimeoutMs = 5000: not below http.requestTimeoutMs (5000)"),
        problems.get(0));
  }

  @Test
  void aPreferWaitLimitNotBelowTheRequestTimeoutIsRefused() {
    List<String> problems = problems(new JsonObject()
        .put("http", new JsonObject().put("requestTimeoutMs", 30000))
        .put("jobs", new JsonObject().put("maxWaitMs", 30000)));
    assertEquals(1, problems.size(), problems.toString());
    assertTrue(problems.get(0).startsWith("jobs.maxWaitMs = 30000: not below http.requestTimeoutMs (30000)"),
        problems.get(0));
  }

  @Test
  void aPreferWaitLimitLeftUnsetStaysBelowALowRequestTimeout() {
    GatherConfig config = GatherConfig.from(new JsonObject().put("http", new JsonObject().put("requestTimeoutMs", 5000))
        .put("jobs", new JsonObject().put("computeTimeoutMs", 3000)));
    assertEquals(4000, config.jobs().maxWaitMs());
  }

  @Test
  void jobDefaultsAreTheDocumentedOnes() {
    JobsConfig jobs = GatherConfig.from(new JsonObject()).jobs();
    assertEquals(Runtime.getRuntime().availableProcessors(), jobs.cpuWorkers());
    assertEquals(16, jobs.blockingWorkers());
    assertEquals(30_000, jobs.leaseMs());
    assertEquals(10_000, jobs.heartbeatMs());
    assertEquals(3, jobs.maxAttempts());
    assertTrue(jobs.filesDir().isAbsolute());
  }
}
