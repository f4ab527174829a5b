package dev.gather.shape;

import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * The identifiers an expression names that are not a field after a dot, a function's name, an object key or
 * an {@code &expression}: a superset of the top-level names it reads. Worked out from the text because the
 * library does not expose its tree; the superset only ever adds a wait (a source whose name appears inside a
 * filter or after a pipe is waited for too), it never misses one.
 */
final class Identifiers {
  private Identifiers() {}

  static Set<String> roots(String text) {
    Set<String> names = new LinkedHashSet<>();
    int i = 0;
    int n = text.length();
    while (i < n) {
      char c = text.charAt(i);
      if (c == '`' || c == '\'') { // a JSON literal or a raw string: nothing in it is a name
        i = skipQuoted(text, i, c);
        continue;
      }
      if (c == '"' || Character.isLetter(c) || c == '_') {
        int start = i;
        String name;
        if (c == '"') {
          i = skipQuoted(text, i, '"');
          name = text.substring(start + 1, Math.max(start + 1, i - 1)).replace("\\\"", "\"");
        } else {
          while (i < n && (Character.isLetterOrDigit(text.charAt(i)) || text.charAt(i) == '_')) {
            i++;
          }
          name = text.substring(start, i);
        }
        char before = previous(text, start);
        char after = next(text, i);
        if (before != '.' && before != '&' && after != '(' && after != ':') {
          names.add(name);
        }
        continue;
      }
      i++;
    }
    return Collections.unmodifiableSet(names);
  }

  private static int skipQuoted(String text, int at, char quote) {
    int i = at + 1;
    while (i < text.length() && text.charAt(i) != quote) {
      i += text.charAt(i) == '\\' ? 2 : 1;
    }
    return Math.min(i + 1, text.length());
  }

  private static char previous(String text, int at) {
    for (int i = at - 1; i >= 0; i--) {
      if (!Character.isWhitespace(text.charAt(i))) {
        return text.charAt(i);
      }
    }
    return ' ';
  }

  private static char next(String text, int at) {
    for (int i = at; i < text.length(); i++) {
      if (!Character.isWhitespace(text.charAt(i))) {
        return text.charAt(i);
      }
    }
    return ' ';
  }
}
