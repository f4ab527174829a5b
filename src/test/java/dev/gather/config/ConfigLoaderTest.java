package dev.gather.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(VertxExtension.class)
class ConfigLoaderTest {

  @Test
  void theFileIsReadWhenNamedWithConf(Vertx vertx, VertxTestContext test, @TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("gather.json"), "{\"http\": {\"port\": 9191}}");
    ConfigLoader.load(vertx, file).onComplete(test.succeeding(config -> test.verify(() -> {
      assertEquals(9191, config.http().port());
      test.completeNow();
    })));
  }

  @Test
  void environmentOverridesTheFileAndSystemPropertiesOverrideBoth() {
    JsonObject merged = new JsonObject()
        .put("http", new JsonObject().put("port", 9191).put("host", "127.0.0.1"))
        .put("db", new JsonObject().put("poolSize", 3))
        .put("GATHER_HTTP_PORT", "9292")
        .put("GATHER_DB_POOL_SIZE", "5")
        .put("gather.db.poolSize", "7");
    GatherConfig config = GatherConfig.from(ConfigLoader.applyOverrides(merged));
    assertEquals(9292, config.http().port(), "env over file");
    assertEquals("127.0.0.1", config.http().host(), "file kept where nothing overrides it");
    assertEquals(7, config.db().poolSize(), "system property over env");
  }

  @Test
  void aSystemPropertyReachesTheConfig(Vertx vertx, VertxTestContext test, @TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("gather.json"), "{}");
    System.setProperty("gather.db.queryTimeoutMs", "1234");
    ConfigLoader.load(vertx, file)
        .eventually(() -> {
          System.clearProperty("gather.db.queryTimeoutMs");
          return io.vertx.core.Future.succeededFuture();
        })
        .onComplete(test.succeeding(config -> test.verify(() -> {
          assertEquals(1234, config.db().queryTimeoutMs());
          test.completeNow();
        })));
  }

  @Test
  void aMissingConfFileIsAClearError(Vertx vertx, VertxTestContext test, @TempDir Path dir) {
    ConfigLoader.load(vertx, dir.resolve("nope.json")).onComplete(test.failing(e -> test.verify(() -> {
      assertTrue(e.getMessage().contains("nope.json: no such file"), e.getMessage());
      test.completeNow();
    })));
  }

  @Test
  void aFileThatIsNotJsonIsAClearError(Vertx vertx, VertxTestContext test, @TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("broken.json"), "{\"http\": {\"port\": 80,}");
    ConfigLoader.load(vertx, file).onComplete(test.failing(e -> test.verify(() -> {
      assertTrue(e instanceof ConfigException);
      assertTrue(e.getMessage().contains("broken.json: cannot be read as JSON"), e.getMessage());
      test.completeNow();
    })));
  }

  @Test
  void theShippedConfigFileIsValid(Vertx vertx, VertxTestContext test) {
    ConfigLoader.load(vertx, Path.of("conf", "config.json")).onComplete(test.succeedingThenComplete());
  }
}
