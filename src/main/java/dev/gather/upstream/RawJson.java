package dev.gather.upstream;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.jackson.JacksonCodec;
import java.io.IOException;

/**
 * A JSON value kept as the bytes an upstream sent, for an answer nobody reads a field of: the envelope splices
 * them in as they are instead of decoding them into maps and encoding them again.
 */
public record RawJson(Buffer bytes) {

  /**
   * The body as a JSON value, if it is exactly one (surrounded by whitespace at most). Checked with the very
   * tokenizer (and factory) Vert.x decodes with, so it accepts what decoding would have accepted, and no more;
   * but skipping tokens builds no strings, numbers, maps or lists, which is what decoding mostly costs.
   */
  static RawJson checked(Buffer body) throws DecodeException {
    try (JsonParser parser = JacksonCodec.createParser(body)) {
      JsonToken first = parser.nextToken();
      if (first == null) {
        throw new DecodeException("no JSON value");
      }
      parser.skipChildren();
      if (parser.nextToken() != null) {
        throw new DecodeException("unexpected trailing token");
      }
      return new RawJson(body);
    } catch (IOException e) {
      throw new DecodeException(e.getMessage(), e);
    }
  }
}
