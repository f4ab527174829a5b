package dev.gather.openapi;

import dev.gather.config.RateLimitConfig;
import dev.gather.config.RouteGroup;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Adds the answers of a rate limit (429, and 503 when it fails closed) to the hand-written operations of the route
 * groups the running config limits. Each hand-written path item names its group ({@code x-gather-group}); the
 * lines are spliced into its operations' {@code responses}, as {@link OpenApiDocument} splices the aggregates,
 * so the rest of the document is served as written. A status an operation already declares is left as it is.
 */
final class RateLimitedRoutes {
  static final String GROUP = "x-gather-group";
  static final String RATE_LIMITED = "#/components/responses/RateLimited";
  static final String LIMITER_UNAVAILABLE = "#/components/responses/RateLimiterUnavailable";
  private static final String ITEM_INDENT = "  ";
  private static final String RESPONSES = "      responses:";
  private static final int RESPONSE_INDENT = 8;

  private RateLimitedRoutes() {}

  /** {@code paths}: the text of the paths section's path items, each line ending in a newline. */
  static String splice(String paths, RateLimitConfig rateLimit) {
    Set<String> limited = new TreeSet<>();
    rateLimit.routes().keySet().stream().filter(g -> g != RouteGroup.HEALTH).forEach(g -> limited.add(g.key()));
    if (limited.isEmpty()) {
      return paths;
    }
    List<String> lines = new ArrayList<>(List.of(paths.split("\n", -1)));
    List<String> out = new ArrayList<>();
    int at = 0;
    while (at < lines.size()) {
      int end = itemEnd(lines, at);
      List<String> item = lines.subList(at, end);
      out.addAll(limited.contains(group(item)) ? withLimits(item, !rateLimit.failOpen()) : item);
      at = end;
    }
    return String.join("\n", out);
  }

  /** The index after the path item starting at {@code start}: the next line that starts another one. */
  private static int itemEnd(List<String> lines, int start) {
    int at = start + 1;
    while (at < lines.size() && !(lines.get(at).startsWith(ITEM_INDENT + "/"))) {
      at++;
    }
    return at;
  }

  private static String group(List<String> item) {
    for (String line : item) {
      String trimmed = line.trim();
      if (indent(line) == 4 && trimmed.startsWith(GROUP + ":")) {
        return trimmed.substring(GROUP.length() + 1).trim();
      }
    }
    return "";
  }

  private static List<String> withLimits(List<String> item, boolean failClosed) {
    List<String> out = new ArrayList<>();
    int at = 0;
    while (at < item.size()) {
      String line = item.get(at);
      out.add(line);
      at++;
      if (!line.equals(RESPONSES)) {
        continue;
      }
      Set<String> declared = new TreeSet<>();
      int lastContent = out.size() - 1;
      while (at < item.size() && (isBlankOrComment(item.get(at)) || indent(item.get(at)) >= RESPONSE_INDENT)) {
        String entry = item.get(at);
        out.add(entry);
        if (!isBlankOrComment(entry)) {
          lastContent = out.size() - 1;
          if (indent(entry) == RESPONSE_INDENT) {
            declared.add(entry.trim().split(":", 2)[0].replace("'", "").replace("\"", ""));
          }
        }
        at++;
      }
      List<String> added = new ArrayList<>();
      if (!declared.contains("429")) {
        added.add(entry("429", RATE_LIMITED));
      }
      if (failClosed && !declared.contains("503")) {
        added.add(entry("503", LIMITER_UNAVAILABLE));
      }
      out.addAll(lastContent + 1, added);
    }
    return out;
  }

  private static String entry(String status, String ref) {
    return " ".repeat(RESPONSE_INDENT) + "'" + status + "': { $ref: '" + ref + "' }";
  }

  private static boolean isBlankOrComment(String line) {
    String trimmed = line.trim();
    return trimmed.isEmpty() || trimmed.startsWith("#");
  }

  private static int indent(String line) {
    int n = 0;
    while (n < line.length() && line.charAt(n) == ' ') {
      n++;
    }
    return n;
  }
}
