package dev.gather.users;

import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/** The writable fields of a user, as sent to {@code POST /users} and {@code PUT /users/{id}}. */
public record UserInput(String email, String name) {
  static final int MAX_EMAIL = 254;
  static final int MAX_NAME = 200;
  private static final Pattern EMAIL = Pattern.compile("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$");

  /** The outcome of reading a body: either an input, or the field-by-field reasons it is not one. */
  public record Parsed(UserInput input, Map<String, String> fieldErrors) {
    public boolean valid() {
      return fieldErrors.isEmpty();
    }
  }

  public static Parsed parse(JsonObject body) {
    Map<String, String> errors = new LinkedHashMap<>();
    String email = requiredText(body, "email", MAX_EMAIL, errors);
    if (email != null && !EMAIL.matcher(email).matches()) {
      errors.put("email", "must be an e-mail address such as ada@example.com");
    }
    String name = requiredText(body, "name", MAX_NAME, errors);
    List<String> unknown = new ArrayList<>();
    for (String field : body.fieldNames()) {
      if (!field.equals("email") && !field.equals("name") && !READ_ONLY.contains(field)) {
        unknown.add(field);
      }
    }
    unknown.forEach(field -> errors.put(field, "unknown field; a user has email and name"));
    return new Parsed(errors.isEmpty() ? new UserInput(email, name) : null, Map.copyOf(errors));
  }

  // Clients commonly PUT back what they GOT; the server-owned fields are accepted and ignored.
  private static final List<String> READ_ONLY = List.of("id", "createdAt", "updatedAt");

  private static String requiredText(JsonObject body, String field, int maxLength, Map<String, String> errors) {
    Object value = body.getValue(field);
    if (value == null) {
      errors.put(field, "is required");
      return null;
    }
    if (!(value instanceof String text)) {
      errors.put(field, "must be a string");
      return null;
    }
    String trimmed = text.strip();
    if (trimmed.isEmpty()) {
      errors.put(field, "must not be blank");
      return null;
    }
    if (trimmed.length() > maxLength) {
      errors.put(field, "must be at most " + maxLength + " characters");
      return null;
    }
    return trimmed;
  }
}
