package dev.gather.openapi;

import dev.gather.config.AggregateConfig;
import dev.gather.config.AuthConfig;
import dev.gather.config.RateLimitConfig;
import io.vertx.core.buffer.Buffer;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The served OpenAPI document: the hand-written {@code openapi.yaml} with the declared aggregates' path items
 * written in at the top of {@code paths}, every operation's {@code security} (and the 401/403/503 its policy adds)
 * as the running config's authentication asks, and the answers of its rate limits (429, and 503 when they fail
 * closed) added to the operations they limit. Text is spliced rather than the YAML re-serialized, so the
 * hand-written part is served exactly as written (comments, order, flow style).
 */
public final class OpenApiDocument {
  private static final String PATHS = "\npaths:\n";
  /** The next top-level key after paths: a line that starts with neither a space nor a comment. */
  private static final Pattern TOP_LEVEL = Pattern.compile("\n(?=[^ #\n])");
  private static final RateLimitConfig UNLIMITED = new RateLimitConfig(Optional.empty(), "", true, 1, 1, Map.of());

  private OpenApiDocument() {}

  public static Buffer withAggregates(Buffer spec, Collection<AggregateConfig> aggregates) {
    return served(spec, aggregates, AuthConfig.OPEN, UNLIMITED);
  }

  public static Buffer served(Buffer spec, Collection<AggregateConfig> aggregates, AuthConfig auth) {
    return served(spec, aggregates, auth, UNLIMITED);
  }

  public static Buffer served(Buffer spec, Collection<AggregateConfig> aggregates, AuthConfig auth,
      RateLimitConfig rateLimit) {
    OperationSecurity security = new OperationSecurity(auth);
    String text = spec.toString();
    int paths = text.indexOf(PATHS);
    if (paths < 0) {
      throw new IllegalStateException("openapi.yaml has no top-level paths: section to add the aggregates to");
    }
    int at = paths + PATHS.length();
    Matcher next = TOP_LEVEL.matcher(text);
    int end = next.find(at) ? next.start() + 1 : text.length();
    String handWritten = RateLimitedRoutes.splice(text.substring(at, end), rateLimit);
    if (security.applies()) {
      handWritten = security.handWritten(handWritten);
    }
    String generated = aggregates.isEmpty() ? ""
        : YamlWriter.write(AggregateOperations.pathItems(aggregates, auth, rateLimit), 2);
    return Buffer.buffer(text.substring(0, at) + generated + handWritten + text.substring(end));
  }
}
