package dev.gather.cache;

import java.util.Locale;
import java.util.OptionalLong;

/**
 * What an upstream's {@code Cache-Control} says to a shared cache (RFC 9111 5.2.2, RFC 5861): whether its answer
 * may be kept at all ({@code no-store}, {@code private}), for how long it is fresh ({@code s-maxage}, else
 * {@code max-age}; {@code no-cache} makes it never fresh), and how long it may be served stale
 * ({@code stale-while-revalidate}, {@code stale-if-error}; never with {@code must-revalidate},
 * {@code proxy-revalidate} or {@code no-cache}). Seconds as written; a malformed number counts as absent.
 */
record Directives(boolean noStore, boolean isPrivate, boolean noCache, boolean mustRevalidate, OptionalLong maxAgeS,
    OptionalLong staleWhileRevalidateS, OptionalLong staleIfErrorS) {
  static final Directives NONE = new Directives(false, false, false, false, OptionalLong.empty(),
      OptionalLong.empty(), OptionalLong.empty());
  /** Longer values than a year are read as a year: nothing here keeps an answer that long anyway. */
  private static final long MAX_SECONDS = 31_536_000L;

  static Directives parse(String header) {
    if (header == null || header.isBlank()) {
      return NONE;
    }
    boolean noStore = false;
    boolean isPrivate = false;
    boolean noCache = false;
    boolean mustRevalidate = false;
    OptionalLong maxAge = OptionalLong.empty();
    OptionalLong sMaxAge = OptionalLong.empty();
    OptionalLong swr = OptionalLong.empty();
    OptionalLong sie = OptionalLong.empty();
    for (String part : header.split(",")) {
      String directive = part.trim();
      int eq = directive.indexOf('=');
      String name = (eq < 0 ? directive : directive.substring(0, eq)).trim().toLowerCase(Locale.ROOT);
      String value = eq < 0 ? null : directive.substring(eq + 1).trim();
      switch (name) {
        case "no-store" -> noStore = true;
        case "private" -> isPrivate = true;
        case "no-cache" -> noCache = true;
        case "must-revalidate", "proxy-revalidate" -> mustRevalidate = true;
        case "max-age" -> maxAge = seconds(value);
        case "s-maxage" -> sMaxAge = seconds(value);
        case "stale-while-revalidate" -> swr = seconds(value);
        case "stale-if-error" -> sie = seconds(value);
        default -> { } // public, immutable, extensions: nothing a shared cache must act on here
      }
    }
    return new Directives(noStore, isPrivate, noCache, mustRevalidate, sMaxAge.isPresent() ? sMaxAge : maxAge, swr,
        sie);
  }

  /** Delta-seconds (RFC 9111 1.2.2): digits, possibly quoted; anything else is not a value. */
  private static OptionalLong seconds(String value) {
    if (value == null) {
      return OptionalLong.empty();
    }
    String digits = value.startsWith("\"") && value.endsWith("\"") && value.length() >= 2
        ? value.substring(1, value.length() - 1) : value;
    if (digits.isEmpty() || digits.length() > 12 || !digits.chars().allMatch(Character::isDigit)) {
      return OptionalLong.empty();
    }
    return OptionalLong.of(Math.min(MAX_SECONDS, Long.parseLong(digits)));
  }
}
