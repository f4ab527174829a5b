package dev.gather.users;

import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.OffsetDateTime;

/** A stored user, as the API shows it. */
public record User(long id, String email, String name, OffsetDateTime createdAt, OffsetDateTime updatedAt) {

  static User from(Row row) {
    return new User(
        row.getLong("id"),
        row.getString("email"),
        row.getString("name"),
        row.getOffsetDateTime("created_at"),
        row.getOffsetDateTime("updated_at"));
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("id", id)
        .put("email", email)
        .put("name", name)
        .put("createdAt", createdAt.toString())
        .put("updatedAt", updatedAt.toString());
  }
}
