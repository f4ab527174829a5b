package dev.gather.fanout;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gather.config.AggregateConfig;
import dev.gather.config.SelectableFields;
import dev.gather.http.ApiError;
import dev.gather.shape.Nodes;
import dev.gather.shape.Projection;
import dev.gather.shape.Shape;
import io.vertx.core.MultiMap;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What one request selected with {@code ?fields=a.b,c} (comma-separated, repeatable) among the aggregate's
 * {@code fields}: the sources that must run for it (the rest are pruned: never started, reported skipped) and
 * the projection of the data. A field not on the list is the client's mistake, a 400 naming it.
 */
final class FieldSelection {
  /** No selection: every source runs, the data is whole. */
  static final FieldSelection ALL = new FieldSelection(null, null);

  /** Null for {@link #ALL}. */
  private final Set<String> run;
  private final Projection projection;

  private FieldSelection(Set<String> run, Projection projection) {
    this.run = run;
    this.projection = projection;
  }

  /**
   * The selection the request asks for; empty when it asks for none, or when the aggregate lists no fields
   * (then {@code fields} is an ordinary parameter, as before).
   */
  static Optional<FieldSelection> of(AggregateConfig aggregate, MultiMap query) {
    if (aggregate.fields().isEmpty() || !query.contains(SelectableFields.PARAMETER)) {
      return Optional.empty();
    }
    SelectableFields allowed = aggregate.fields().get();
    Set<String> asked = new LinkedHashSet<>();
    for (String value : query.getAll(SelectableFields.PARAMETER)) {
      for (String field : value.split(",")) {
        String trimmed = field.trim();
        if (trimmed.isEmpty()) {
          continue;
        }
        if (!allowed.needs().containsKey(trimmed)) {
          throw new ApiError(400, "unknown-field", "fields: " + quoted(trimmed) + " is not a field this aggregate "
              + "lets you select; choose among " + String.join(", ", allowed.allowed()),
              new JsonObject().put("field", shortened(trimmed)).put("allowed", new JsonArray(List.copyOf(allowed.allowed()))));
        }
        asked.add(trimmed);
      }
    }
    if (asked.isEmpty()) {
      throw new ApiError(400, "unknown-field", "fields names no field; choose among "
          + String.join(", ", allowed.allowed()) + ", or leave fields out for all of them",
          new JsonObject().put("allowed", new JsonArray(List.copyOf(allowed.allowed()))));
    }
    Set<String> run = new LinkedHashSet<>(allowed.alwaysRun());
    asked.forEach(field -> run.addAll(allowed.needs().get(field)));
    return Optional.of(new FieldSelection(run, Projection.of(asked)));
  }

  /** Whether the source runs: some selected field needs it, or it is required. */
  boolean runs(String source) {
    return run == null || run.contains(source);
  }

  Set<String> run() {
    return run;
  }

  /** The shape reduced to the selected top-level keys, when it is an object template. */
  Shape shape(Shape shape) {
    return shape.only(projection.keys());
  }

  /** The selected part of the shaped data. */
  JsonNode project(JsonNode shaped) {
    return projection.apply(shaped);
  }

  /** The selected part of the unshaped data: each selected source's data under its name, as the envelope has it. */
  JsonNode project(List<SourceResult> results) {
    ObjectNode data = Nodes.object();
    for (SourceResult result : results) {
      if (result.hasData() && projection.keys().contains(result.name())) {
        data.set(result.name(), ShapeContext.node(result.data()));
      }
    }
    return projection.apply(data);
  }

  private static String quoted(String field) {
    return "\"" + shortened(field) + "\"";
  }

  private static String shortened(String field) {
    return field.length() > 100 ? field.substring(0, 100) + "…" : field;
  }
}
