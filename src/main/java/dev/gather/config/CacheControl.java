package dev.gather.config;

import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An aggregate's {@code cacheControl}: the {@code Cache-Control} value gather sends with its complete answers
 * (RFC 9111 5.2.2). Checked when the config loads, directive by directive, because a typo ({@code max_age}) would
 * otherwise be sent as is and silently cache nothing, or the wrong thing.
 */
final class CacheControl {
  /** The response directives of RFC 9111 and RFC 5861 and 8246, and whether each takes a number of seconds. */
  private static final Map<String, Boolean> DIRECTIVES = Map.ofEntries(
      Map.entry("max-age", true), Map.entry("s-maxage", true), Map.entry("stale-while-revalidate", true),
      Map.entry("stale-if-error", true), Map.entry("no-cache", false), Map.entry("no-store", false),
      Map.entry("private", false), Map.entry("public", false), Map.entry("must-revalidate", false),
      Map.entry("proxy-revalidate", false), Map.entry("no-transform", false), Map.entry("immutable", false),
      Map.entry("must-understand", false));
  /** One directive: a token, and a number after {@code =} for those that take one. */
  private static final Pattern DIRECTIVE = Pattern.compile("([A-Za-z-]+)(?:=(\\d{1,10}))?");
  private static final int MAX_LENGTH = 256;

  private CacheControl() {}

  /**
   * The value at {@code cacheControl}, normalised to lower-case directives joined by {@code ", "}; every mistake
   * goes into {@code in}'s problems. {@code perCaller}: the answer depends on the caller's token claims, so a
   * shared cache must never keep it.
   */
  static Optional<String> parse(Fields in, boolean perCaller) {
    Optional<String> text = in.text("cacheControl");
    if (text.isEmpty()) {
      return Optional.empty();
    }
    String value = text.get();
    String example = " (e.g. \"private, max-age=30\", or \"no-cache\" to have clients revalidate every time)";
    if (value.length() > MAX_LENGTH) {
      in.problem("cacheControl", ": longer than " + MAX_LENGTH + " characters; list only the directives you need"
          + example);
      return Optional.empty();
    }
    List<String> parts = List.of(value.split(",", -1));
    Set<String> seen = new HashSet<>();
    StringBuilder normalised = new StringBuilder(value.length());
    boolean ok = true;
    for (String part : parts) {
      Matcher directive = DIRECTIVE.matcher(part.trim());
      String name = directive.matches() ? directive.group(1).toLowerCase(Locale.ROOT) : null;
      if (name == null || !DIRECTIVES.containsKey(name)) {
        in.problem("cacheControl", " = \"" + value + "\": \"" + part.trim() + "\" is not a response directive; use "
            + "max-age=N, s-maxage=N, stale-while-revalidate=N, stale-if-error=N, no-cache, no-store, private, "
            + "public, must-revalidate, proxy-revalidate, no-transform, immutable or must-understand, separated by "
            + "commas" + example);
        ok = false;
        continue;
      }
      boolean takesSeconds = DIRECTIVES.get(name);
      if (takesSeconds != (directive.group(2) != null)) {
        in.problem("cacheControl", " = \"" + value + "\": " + (takesSeconds
            ? name + " needs a number of seconds, e.g. " + name + "=30"
            : name + " takes no value; write it alone"));
        ok = false;
        continue;
      }
      if (!seen.add(name)) {
        in.problem("cacheControl", " = \"" + value + "\": " + name + " is given twice; keep one");
        ok = false;
        continue;
      }
      normalised.append(normalised.length() == 0 ? "" : ", ").append(name)
          .append(takesSeconds ? "=" + Long.parseLong(directive.group(2)) : "");
    }
    if (seen.contains("public") && seen.contains("private")) {
      in.problem("cacheControl", " = \"" + value + "\": public and private contradict each other; keep one");
      ok = false;
    }
    if (perCaller && (seen.contains("public") || seen.contains("s-maxage"))) {
      in.problem("cacheControl", " = \"" + value + "\": the aggregate reads the caller's token claims ({jwt.…}), "
          + "so its answer differs by caller and a shared cache must not keep it; use \"private, max-age=…\"");
      ok = false;
    }
    return ok ? Optional.of(normalised.toString()) : Optional.empty();
  }
}
