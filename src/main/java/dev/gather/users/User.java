package dev.gather.users;

import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.OffsetDateTime;

/** A stored user, as the API shows it. */
public record User(long id, String email, String name, OffsetDateTime createdAt, OffsetDateTime updatedAt) {
  private static final char[] HEX = "0123456789ABCDEF".toCharArray();

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

  /**
   * The row as one NDJSON line, the same text {@code from(row).toJson().encode()} gives, written straight from the
   * row: an export of many rows makes no record, map or encoder per row. Columns by position, as
   * {@link UserRepository#COLUMNS} lists them.
   */
  static void appendJsonLine(Row row, StringBuilder out) {
    out.append("{\"id\":").append(row.getLong(0)).append(",\"email\":");
    appendString(row.getString(1), out);
    out.append(",\"name\":");
    appendString(row.getString(2), out);
    out.append(",\"createdAt\":\"").append(row.getOffsetDateTime(3)).append("\",\"updatedAt\":\"")
        .append(row.getOffsetDateTime(4)).append("\"}\n");
  }

  /** A JSON string, escaped as Jackson escapes it: quote, backslash and control characters. */
  static void appendString(String value, StringBuilder out) {
    out.append('"');
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        case '\b' -> out.append("\\b");
        case '\f' -> out.append("\\f");
        default -> {
          if (c < 0x20) {
            out.append("\\u00").append(HEX[c >> 4]).append(HEX[c & 0xF]);
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
  }
}
