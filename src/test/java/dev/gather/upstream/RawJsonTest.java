package dev.gather.upstream;

import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.netty.buffer.Unpooled;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.core.json.DecodeException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** What passes as one JSON text to be spliced into the envelope as it came, and what is bad_json. */
class RawJsonTest {

  @ParameterizedTest
  @ValueSource(strings = {
      "{}", "[]", "0", "-0", "1.50", "-12.5e+3", "1E9", "12345678901234567890123", "true", "false", "null",
      "\"\"", "\"text\"", " \t\r\n{\"a\" : [1, {\"b\": null}], \"c\": \"d\"} \n",
      "\"escapes \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u00e9 \\uD83D\\uDE00\"",
      "\"UTF-8: é € 😀\"", "[[[[[[[[[[1]]]]]]]]]]", "{\"a\":{\"a\":{\"a\":{}}}}", "[1,\"2\",[3],{\"4\":4}]"})
  void oneJsonTextPasses(String text) {
    Buffer body = Buffer.buffer(text);
    assertSame(body, RawJson.checked(body).bytes());
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "", "   ", "{} {}", "1 2", "{}x", "{", "[", "]", "[1,]", "[,1]", "{\"a\":1,}", "{,}", "{\"a\" 1}", "{a:1}",
      "{'a':1}", "{\"a\":}", "[1 2]", "01", "-", "+1", "1.", ".5", "1e", "1e+", "0x10", "NaN", "Infinity",
      "tru", "nul", "True", "\"open", "\"bad \\x escape\"", "\"short \\u12 escape\"", "\"tab\tinside\"",
      "/* comment */ {}", "{} // comment", "\uFEFF{}"})
  void anythingElseIsBadJson(String text) {
    assertThrows(DecodeException.class, () -> RawJson.checked(Buffer.buffer(text)));
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "22 C3 22", // a lead byte with no continuation
      "22 80 22", // a continuation byte alone
      "22 C0 AF 22", // an overlong '/'
      "22 ED A0 80 22", // a UTF-16 surrogate encoded as UTF-8
      "22 F4 90 80 80 22", // past U+10FFFF
      "22 FF 22"})
  void aStringThatIsNotUtf8IsBadJson(String hex) {
    String[] parts = hex.split(" ");
    byte[] bytes = new byte[parts.length];
    for (int i = 0; i < parts.length; i++) {
      bytes[i] = (byte) Integer.parseInt(parts[i], 16);
    }
    assertThrows(DecodeException.class, () -> RawJson.checked(Buffer.buffer(bytes)));
  }

  @Test
  void nestingIsLimitedAsJacksonLimitsIt() {
    int limit = RawJson.MAX_DEPTH;
    Buffer deepest = Buffer.buffer("[".repeat(limit) + "]".repeat(limit));
    assertSame(deepest, RawJson.checked(deepest).bytes());
    assertThrows(DecodeException.class,
        () -> RawJson.checked(Buffer.buffer("[".repeat(limit + 1) + "]".repeat(limit + 1))));
  }

  @Test
  void aBodyInADirectBufferIsCheckedToo() {
    byte[] text = "{\"a\":[1,2]}".getBytes(StandardCharsets.UTF_8);
    Buffer direct = BufferInternal.buffer(Unpooled.directBuffer().writeBytes(text));
    assertSame(direct, RawJson.checked(direct).bytes());
    Buffer broken = BufferInternal.buffer(Unpooled.directBuffer().writeBytes("{\"a\":[1,2}".getBytes(StandardCharsets.UTF_8)));
    assertThrows(DecodeException.class, () -> RawJson.checked(broken));
  }

  @Test
  void onlyTheBufferItselfIsScannedNotWhatSurroundsItInASharedArray() {
    Buffer slice = Buffer.buffer("xx{\"a\":1}yy").slice(2, 9);
    assertSame(slice, RawJson.checked(slice).bytes());
  }
}
