package dev.gather.db;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.gather.RunningGather;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.core.buffer.Buffer;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** With no db.url, gather runs its own PostgreSQL, and what it stores survives a restart. */
class EmbeddedDatabaseTest {

  private static JsonObject embeddedIn(Path dataDir) {
    return new JsonObject().put("db", new JsonObject()
        .put("url", "")
        .put("embedded", new JsonObject().put("dataDir", dataDir.toString())));
  }

  @Test
  void aUserCreatedOnTheEmbeddedDatabaseIsStillThereAfterARestart(@TempDir Path dir) throws Exception {
    Path dataDir = dir.resolve("pg");
    String location;
    try (RunningGather first = RunningGather.startWithoutTestDatabase(embeddedIn(dataDir))) {
      HttpResponse<Buffer> created = first.client.post("/users")
          .sendJsonObject(new JsonObject().put("email", "kept@example.com").put("name", "Kept"))
          .await(10, TimeUnit.SECONDS);
      assertEquals(201, created.statusCode(), created.bodyAsString());
      location = created.getHeader("Location");
    }
    try (RunningGather second = RunningGather.startWithoutTestDatabase(embeddedIn(dataDir))) {
      HttpResponse<Buffer> read = second.client.get(location).send().await(10, TimeUnit.SECONDS);
      assertEquals(200, read.statusCode(), read.bodyAsString());
      assertEquals("kept@example.com", read.bodyAsJsonObject().getString("email"));
    }
  }
}
