package dev.gather.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A path or parameter with placeholders: {@code /users/{userId}} takes a request parameter,
 * {@code /orders?user={profile.id}} takes a field of another source's answer (and so depends on it).
 * {@code sources} names those other sources, worked out once here since every call of a source asks.
 */
public record Template(String text, List<Part> parts, List<String> sources) {

  /** A literal piece, or a placeholder naming a parameter ({@code source} empty) or a source's field. */
  public record Part(String literal, Optional<String> source, List<String> path) {
    public boolean isLiteral() {
      return literal != null;
    }

    /** The request parameter (or forEach item) a plain placeholder names. */
    public String parameter() {
      return path.get(0);
    }

    /** {@code {body}} (the client's whole JSON body) or {@code {body.x.y}} (a field of it). */
    public boolean readsBody() {
      return !isLiteral() && (source.isEmpty() ? path.get(0).equals(BODY) : source.get().equals(BODY));
    }

    /** {@code {header.X-Tenant}}: a client header, which naming it in a template allows. */
    public boolean readsHeader() {
      return !isLiteral() && source.filter(HEADER::equals).isPresent();
    }

    /** {@code {jwt.sub}}: a claim of the caller's verified token. */
    public boolean readsJwt() {
      return !isLiteral() && source.filter(JWT::equals).isPresent();
    }

    /** Whether it reads another source's data (rather than the client's request). */
    boolean readsSource() {
      return !isLiteral() && source.isPresent() && !readsBody() && !readsHeader() && !readsJwt();
    }
  }

  /** Roots a placeholder reads from the client's request rather than from a source of that name. */
  public static final String BODY = "body";
  public static final String HEADER = "header";
  public static final String JWT = "jwt";

  Template(String text, List<Part> parts) {
    this(text, parts, parts.stream().filter(Part::readsSource).flatMap(p -> p.source().stream()).distinct().toList());
  }

  private static final Pattern PLACEHOLDER = Pattern.compile("\\{([^{}]*)}");
  // A dash is allowed after the first segment, for header names ({header.X-Tenant}).
  private static final Pattern REFERENCE = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z0-9_-]+)*");

  /** Parses {@code text}; mistakes go to {@code problems} prefixed with {@code key}. */
  static Template parse(String key, String text, List<String> problems) {
    List<Part> parts = new ArrayList<>();
    Matcher m = PLACEHOLDER.matcher(text);
    int at = 0;
    while (m.find()) {
      if (m.start() > at) {
        parts.add(new Part(text.substring(at, m.start()), Optional.empty(), List.of()));
      }
      String reference = m.group(1).trim();
      if (!REFERENCE.matcher(reference).matches()) {
        problems.add(key + " = \"" + text + "\": {" + reference + "} is not a placeholder; write {param} or "
            + "{source.field}, {body.field}, {header.Name} or {jwt.claim}");
      } else {
        parts.add(reference(reference));
      }
      at = m.end();
    }
    if (at < text.length()) {
      parts.add(new Part(text.substring(at), Optional.empty(), List.of()));
    }
    String literals = String.join("", parts.stream().filter(Part::isLiteral).map(Part::literal).toList());
    if (literals.contains("{") || literals.contains("}")) {
      problems.add(key + " = \"" + text + "\": unbalanced braces; placeholders look like {name}");
    }
    return new Template(text, List.copyOf(parts));
  }

  /** {@code a} is a parameter; {@code a.b.c} is field b.c of source a. */
  static Part reference(String reference) {
    String[] segments = reference.split("\\.");
    return segments.length == 1
        ? new Part(null, Optional.empty(), List.of(segments[0]))
        : new Part(null, Optional.of(segments[0]), List.of(segments).subList(1, segments.length));
  }

  public List<String> parameters() {
    return parts.stream().filter(p -> !p.isLiteral() && p.source().isEmpty() && !p.readsBody()).map(Part::parameter)
        .distinct().toList();
  }

  /** Whether some placeholder reads the client's body. */
  public boolean readsBody() {
    return parts.stream().anyMatch(Part::readsBody);
  }

  /** The client headers its placeholders name. */
  public List<String> headers() {
    return parts.stream().filter(Part::readsHeader).map(p -> String.join(".", p.path())).distinct().toList();
  }

  /** The token claims its placeholders name ({@code {jwt.tenant}} names tenant). */
  public List<String> claims() {
    return parts.stream().filter(Part::readsJwt).map(p -> p.path().get(0)).distinct().toList();
  }

  /** The one placeholder this template is, with no text around it; its value keeps its JSON type. */
  public Optional<Part> single() {
    return parts.size() == 1 && !parts.get(0).isLiteral() ? Optional.of(parts.get(0)) : Optional.empty();
  }
}
