package dev.gather.openapi;

import dev.gather.config.AggregateConfig;
import io.vertx.core.buffer.Buffer;
import java.util.Collection;

/**
 * The served OpenAPI document: the hand-written {@code openapi.yaml} with the declared aggregates' path items
 * written in at the top of {@code paths}. Text is spliced rather than the YAML re-serialized, so the
 * hand-written part is served exactly as written (comments, order, flow style).
 */
public final class OpenApiDocument {
  private static final String PATHS = "\npaths:\n";

  private OpenApiDocument() {}

  public static Buffer withAggregates(Buffer spec, Collection<AggregateConfig> aggregates) {
    if (aggregates.isEmpty()) {
      return spec;
    }
    String text = spec.toString();
    int paths = text.indexOf(PATHS);
    if (paths < 0) {
      throw new IllegalStateException("openapi.yaml has no top-level paths: section to add the aggregates to");
    }
    int at = paths + PATHS.length();
    return Buffer.buffer(text.substring(0, at) + YamlWriter.write(AggregateOperations.pathItems(aggregates), 2)
        + text.substring(at));
  }
}
