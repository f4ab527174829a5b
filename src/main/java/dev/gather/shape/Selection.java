package dev.gather.shape;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Optional;

/** What a source keeps of its answer: its {@code select} expression, then its {@code allow}/{@code deny}/{@code rename}. */
public record Selection(Optional<Expr> select, FieldSugar fields) {

  /** The selected data; a {@link ShapeException} when the expression fails on it. */
  public JsonNode apply(JsonNode data) {
    JsonNode selected = select.isPresent() ? select.get().search(data) : data;
    return fields.isEmpty() ? selected : fields.apply(selected);
  }
}
