package dev.gather.proxy;

import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Where a {@code /proxy/{upstream}/{path}} request goes: the upstream's name, and the path and query to ask
 * it for, appended to that upstream's base URL and nothing else. Any request target that could make the
 * upstream, or anything between, resolve the path to another place is refused rather than cleaned up:
 * dot segments, raw or encoded; an empty segment ({@code //host}); encoded slashes, backslashes, dots, {@code @}
 * or control characters; a scheme ({@code http://...}); and an absolute-form request target.
 */
record ProxyTarget(String upstream, String pathAndQuery) {
  static final String PREFIX = "/proxy/";

  // Percent-encodings that decode to a character which changes how a path resolves, or to a control character
  // (CR and LF included). %25 is refused too: decoded twice, "%252e" becomes a dot.
  private static final Pattern FORBIDDEN_ENCODED =
      Pattern.compile("%(2[eEfF]|5[cC]|40|25|[01][0-9a-fA-F]|7[fF])");
  private static final Pattern SCHEME = Pattern.compile("^[a-zA-Z][a-zA-Z0-9+.-]*:");
  private static final Pattern UPSTREAM_NAME = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9_.-]*");

  /** The target of a raw request URI, or why it is refused. */
  static Result parse(String rawUri) {
    if (rawUri == null || !rawUri.startsWith(PREFIX)) {
      return Result.refused("the request target must be a path starting with " + PREFIX
          + " (absolute URLs and other forms are refused)");
    }
    String rest = rawUri.substring(PREFIX.length());
    int queryStart = rest.indexOf('?');
    String query = queryStart < 0 ? "" : rest.substring(queryStart);
    String beforeQuery = queryStart < 0 ? rest : rest.substring(0, queryStart);
    int slash = beforeQuery.indexOf('/');
    String name = slash < 0 ? beforeQuery : beforeQuery.substring(0, slash);
    String path = slash < 0 ? "" : beforeQuery.substring(slash + 1);
    if (!UPSTREAM_NAME.matcher(name).matches()) {
      return Result.refused("\"" + abbreviate(name) + "\" is not an upstream name");
    }
    Optional<String> problem = pathProblem(path).or(() -> queryProblem(query));
    if (problem.isPresent()) {
      return Result.refused(problem.get());
    }
    return new Result(Optional.of(new ProxyTarget(name, "/" + path + query)), null);
  }

  private static Optional<String> pathProblem(String path) {
    if (path.startsWith("/")) {
      return Optional.of("the path after the upstream name starts with another slash (//host)");
    }
    if (SCHEME.matcher(path).find()) {
      return Optional.of("the path looks like an absolute URL (" + abbreviate(path) + ")");
    }
    if (path.indexOf('\\') >= 0 || path.indexOf('@') >= 0) {
      return Optional.of("the path holds a backslash or an @, which some servers read as a host");
    }
    if (FORBIDDEN_ENCODED.matcher(path).find()) {
      return Optional.of("the path holds an encoded slash, backslash, dot, @, % or control character");
    }
    for (String segment : path.split("/", -1)) {
      if (segment.equals(".") || segment.equals("..")) {
        return Optional.of("the path holds a dot segment (. or ..)");
      }
    }
    if (path.contains("//")) {
      return Optional.of("the path holds an empty segment (//)");
    }
    return Optional.empty();
  }

  private static Optional<String> queryProblem(String query) {
    String lower = query.toLowerCase(Locale.ROOT);
    for (int i = 0; i < lower.length(); i++) {
      if (lower.charAt(i) < 0x20 || lower.charAt(i) == 0x7f) {
        return Optional.of("the query holds a control character");
      }
    }
    if (lower.contains("%0d") || lower.contains("%0a") || lower.contains("%00")) {
      return Optional.of("the query holds an encoded CR, LF or NUL");
    }
    return Optional.empty();
  }

  private static String abbreviate(String text) {
    return text.length() <= 60 ? text : text.substring(0, 60) + "...";
  }

  /** A target, or the reason there is none. */
  record Result(Optional<ProxyTarget> target, String refusal) {
    static Result refused(String why) {
      return new Result(Optional.empty(), why);
    }
  }
}
