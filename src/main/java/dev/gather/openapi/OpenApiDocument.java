package dev.gather.openapi;

import dev.gather.config.AggregateConfig;
import dev.gather.config.AuthConfig;
import io.vertx.core.buffer.Buffer;
import java.util.Collection;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The served OpenAPI document: the hand-written {@code openapi.yaml} with the declared aggregates' path items
 * written in at the top of {@code paths}. Text is spliced rather than the YAML re-serialized, so the
 * hand-written part is served exactly as written (comments, order, flow style).
 */
public final class OpenApiDocument {
  private static final String PATHS = "\npaths:\n";
  private static final Pattern TOP_LEVEL = Pattern.compile("(?m)^[A-Za-z]");

  private OpenApiDocument() {}

  public static Buffer withAggregates(Buffer spec, Collection<AggregateConfig> aggregates) {
    return served(spec, aggregates, AuthConfig.OPEN);
  }

  /**
   * The document as served: the aggregates written in, and every operation's {@code security} (and the 401/403/503
   * its policy adds) as {@code auth} configures it.
   */
  public static Buffer served(Buffer spec, Collection<AggregateConfig> aggregates, AuthConfig auth) {
    OperationSecurity security = new OperationSecurity(auth);
    if (aggregates.isEmpty() && !security.applies()) {
      return spec;
    }
    String text = spec.toString();
    int paths = text.indexOf(PATHS);
    if (paths < 0) {
      throw new IllegalStateException("openapi.yaml has no top-level paths: section to add the aggregates to");
    }
    int at = paths + PATHS.length();
    String handWritten = text.substring(at);
    if (security.applies()) {
      Matcher next = TOP_LEVEL.matcher(handWritten);
      int end = next.find() ? next.start() : handWritten.length();
      handWritten = security.handWritten(handWritten.substring(0, end)) + handWritten.substring(end);
    }
    return Buffer.buffer(text.substring(0, at) + YamlWriter.write(AggregateOperations.pathItems(aggregates, auth), 2)
        + handWritten);
  }
}
