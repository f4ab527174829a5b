package dev.gather.upstream;

import io.netty.buffer.ByteBuf;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.core.json.DecodeException;

/**
 * A JSON value kept as the bytes an upstream sent, for an answer nobody reads a field of: the envelope splices
 * them in as they are instead of decoding them into maps and encoding them again.
 */
public record RawJson(Buffer bytes) {
  /** As deep as Jackson (and so Vert.x's decoding) lets a document nest by default. */
  static final int MAX_DEPTH = 1000;

  /**
   * The body as a JSON value, if it is exactly one JSON text as RFC 8259 defines it (UTF-8, whitespace around
   * at most, nested at most {@link #MAX_DEPTH} deep). Strict on purpose: these bytes go into the envelope
   * unchanged, so what Jackson would forgive (comments, a byte order mark) would make the envelope invalid.
   * A scan over the bytes, with no parser to create and nothing decoded: decoding is what this saves.
   */
  static RawJson checked(Buffer body) throws DecodeException {
    ByteBuf buf = ((BufferInternal) body).getByteBuf();
    byte[] bytes;
    int from;
    if (buf.hasArray()) {
      bytes = buf.array();
      from = buf.arrayOffset() + buf.readerIndex();
    } else {
      bytes = body.getBytes();
      from = 0;
    }
    new Scan(bytes, from, from + body.length()).text();
    return new RawJson(body);
  }

  /** A recursive descent over {@code bytes[at, end)}; fails with a DecodeException saying where and why. */
  private static final class Scan {
    private final byte[] bytes;
    private final int start;
    private final int end;
    private int at;

    Scan(byte[] bytes, int from, int end) {
      this.bytes = bytes;
      this.start = from;
      this.at = from;
      this.end = end;
    }

    void text() {
      space();
      if (at == end) {
        throw bad("no JSON value");
      }
      value(0);
      space();
      if (at != end) {
        throw bad("more than one JSON value");
      }
    }

    private void value(int depth) {
      if (at == end) {
        throw bad("unexpected end");
      }
      switch (bytes[at]) {
        case '{' -> object(depth + 1);
        case '[' -> array(depth + 1);
        case '"' -> string();
        case 't' -> word("true");
        case 'f' -> word("false");
        case 'n' -> word("null");
        default -> number();
      }
    }

    private void object(int depth) {
      nest(depth);
      at++;
      space();
      if (peek() == '}') {
        at++;
        return;
      }
      while (true) {
        if (peek() != '"') {
          throw bad("expected a field name");
        }
        string();
        space();
        expect(':');
        space();
        value(depth);
        space();
        int c = next();
        if (c == '}') {
          return;
        }
        if (c != ',') {
          throw bad("expected , or }");
        }
        space();
      }
    }

    private void array(int depth) {
      nest(depth);
      at++;
      space();
      if (peek() == ']') {
        at++;
        return;
      }
      while (true) {
        value(depth);
        space();
        int c = next();
        if (c == ']') {
          return;
        }
        if (c != ',') {
          throw bad("expected , or ]");
        }
        space();
      }
    }

    private void nest(int depth) {
      if (depth > MAX_DEPTH) {
        throw bad("nested deeper than " + MAX_DEPTH);
      }
    }

    private void string() {
      at++; // the opening quote
      while (true) {
        int c = next();
        if (c == '"') {
          return;
        }
        if (c == '\\') {
          escape();
        } else if (c < 0x20) {
          throw bad(c < 0 ? "unterminated string" : "a control character in a string");
        } else if (c >= 0x80) {
          utf8(c);
        }
      }
    }

    private void escape() {
      int c = next();
      switch (c) {
        case '"', '\\', '/', 'b', 'f', 'n', 'r', 't' -> { }
        case 'u' -> {
          for (int i = 0; i < 4; i++) {
            int h = next();
            if (!(h >= '0' && h <= '9' || h >= 'a' && h <= 'f' || h >= 'A' && h <= 'F')) {
              throw bad("a \\u escape needs four hex digits");
            }
          }
        }
        default -> throw bad("an unknown escape");
      }
    }

    /** One multi-byte UTF-8 sequence whose first byte is {@code first}: no overlong form, surrogate or past U+10FFFF. */
    private void utf8(int first) {
      int more;
      int min;
      int code;
      if (first >= 0xC2 && first <= 0xDF) {
        more = 1;
        min = 0x80;
        code = first & 0x1F;
      } else if (first >= 0xE0 && first <= 0xEF) {
        more = 2;
        min = 0x800;
        code = first & 0x0F;
      } else if (first >= 0xF0 && first <= 0xF4) {
        more = 3;
        min = 0x10000;
        code = first & 0x07;
      } else {
        throw bad("not UTF-8");
      }
      for (int i = 0; i < more; i++) {
        int c = next();
        if ((c & 0xC0) != 0x80) {
          throw bad("not UTF-8");
        }
        code = code << 6 | c & 0x3F;
      }
      if (code < min || code > 0x10FFFF || code >= 0xD800 && code <= 0xDFFF) {
        throw bad("not UTF-8");
      }
    }

    private void number() {
      if (peek() == '-') {
        at++;
      }
      int c = peek();
      if (c == '0') {
        at++;
      } else if (c >= '1' && c <= '9') {
        digits();
      } else {
        throw bad("not a JSON value");
      }
      if (peek() == '.') {
        at++;
        if (!isDigit(peek())) {
          throw bad("a fraction needs digits");
        }
        digits();
      }
      c = peek();
      if (c == 'e' || c == 'E') {
        at++;
        c = peek();
        if (c == '+' || c == '-') {
          at++;
        }
        if (!isDigit(peek())) {
          throw bad("an exponent needs digits");
        }
        digits();
      }
    }

    private void digits() {
      while (isDigit(peek())) {
        at++;
      }
    }

    private static boolean isDigit(int c) {
      return c >= '0' && c <= '9';
    }

    private void word(String word) {
      for (int i = 0; i < word.length(); i++) {
        if (next() != word.charAt(i)) {
          throw bad("not a JSON value");
        }
      }
    }

    private void space() {
      while (at < end) {
        byte c = bytes[at];
        if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
          return;
        }
        at++;
      }
    }

    private void expect(char c) {
      if (next() != c) {
        throw bad("expected " + c);
      }
    }

    /** The next byte (0–255), or -1 at the end. */
    private int peek() {
      return at < end ? bytes[at] & 0xFF : -1;
    }

    private int next() {
      return at < end ? bytes[at++] & 0xFF : -1;
    }

    private DecodeException bad(String why) {
      return new DecodeException(why + " at byte " + (at - start));
    }
  }
}
