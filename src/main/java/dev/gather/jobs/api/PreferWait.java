package dev.gather.jobs.api;

import dev.gather.http.ApiError;
import io.vertx.core.http.HttpServerRequest;
import java.util.OptionalLong;

/**
 * The {@code wait} preference of RFC 7240 ({@code Prefer: wait=10}): how many seconds a client is willing to wait for
 * the answer. Other preferences (respond-async, return=...) are ignored, as the RFC asks of ones a server does not
 * act on. A wait that is not a whole number of seconds is the client's mistake and gets a 400 rather than being
 * silently dropped; a wait longer than jobs.maxWaitMs is cut to it, and Preference-Applied says to what.
 */
final class PreferWait {
  private PreferWait() {}

  /** The seconds asked for (at most {@code maxSeconds}); empty when no wait preference was sent. */
  static OptionalLong seconds(HttpServerRequest request, long maxSeconds) {
    OptionalLong asked = OptionalLong.empty();
    for (String header : request.headers().getAll("Prefer")) {
      for (String preference : header.split(",")) {
        String nameAndValue = preference.split(";", 2)[0].strip();
        int equals = nameAndValue.indexOf('=');
        String name = (equals < 0 ? nameAndValue : nameAndValue.substring(0, equals)).strip();
        if (!name.equalsIgnoreCase("wait")) {
          continue;
        }
        String value = equals < 0 ? "" : nameAndValue.substring(equals + 1).strip();
        if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
          value = value.substring(1, value.length() - 1);
        }
        if (!value.matches("[0-9]{1,9}")) {
          throw ApiError.badRequest("Prefer: wait must be a whole number of seconds, e.g. Prefer: wait=10; got \""
              + preference.strip() + "\"");
        }
        asked = OptionalLong.of(Math.min(Long.parseLong(value), maxSeconds));
      }
    }
    return asked;
  }
}
