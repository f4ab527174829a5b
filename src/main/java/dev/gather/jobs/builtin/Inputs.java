package dev.gather.jobs.builtin;

import dev.gather.jobs.PermanentJobFailure;
import io.vertx.core.json.JsonObject;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Supplier;

/** Reading job inputs with messages that name the field and what would be accepted. */
final class Inputs {
  private Inputs() {}

  /** Absent and JSON null both mean "not given", so clients may send {@code "salt": null} for the default. */
  static OptionalLong optionalInteger(JsonObject input, String field, long min, long max) {
    Object value = input == null ? null : input.getValue(field);
    if (value == null) {
      return OptionalLong.empty();
    }
    String expected = field + " must be an integer from " + min + " to " + max;
    Long integral = integral(value);
    if (integral == null) {
      throw new IllegalArgumentException(expected + ", got " + describe(value));
    }
    if (integral < min || integral > max) {
      throw new IllegalArgumentException(expected + ", got " + value);
    }
    return OptionalLong.of(integral);
  }

  static long requiredInteger(JsonObject input, String field, long min, long max) {
    return optionalInteger(input, field, min, max).orElseThrow(() -> new IllegalArgumentException(
        field + " is required: an integer from " + min + " to " + max));
  }

  /** The value is never quoted back, so a secret given in the wrong field cannot leak through the message. */
  static Optional<String> optionalString(JsonObject input, String field) {
    Object value = input == null ? null : input.getValue(field);
    if (value == null) {
      return Optional.empty();
    }
    if (!(value instanceof String s)) {
      throw new IllegalArgumentException(field + " must be a string, got " + kind(value));
    }
    return Optional.of(s);
  }

  /**
   * Re-reads an input inside {@code run}: it was validated when accepted, so failing now means it can never
   * succeed, and retrying would only fail the same way.
   */
  static <T> T forRun(Supplier<T> parse) {
    try {
      return parse.get();
    } catch (IllegalArgumentException e) {
      throw new PermanentJobFailure(e.getMessage(), e);
    }
  }

  /** JSON has one number type: 1e3 and 1000.0 are the integer 1000 too; anything out of long range is null. */
  private static Long integral(Object value) {
    if (value instanceof Integer || value instanceof Long || value instanceof Short || value instanceof Byte) {
      return ((Number) value).longValue();
    }
    if (value instanceof BigInteger big) {
      return big.bitLength() < Long.SIZE ? big.longValue() : outOfRange(big.signum());
    }
    if (value instanceof BigDecimal dec) {
      try {
        return dec.longValueExact();
      } catch (ArithmeticException e) {
        return dec.stripTrailingZeros().scale() <= 0 ? outOfRange(dec.signum()) : null;
      }
    }
    if (value instanceof Double || value instanceof Float) {
      double d = ((Number) value).doubleValue();
      if (!Double.isFinite(d) || Math.rint(d) != d) {
        return null;
      }
      // Beyond 2^63 the cast saturates, which still lands outside every range asked for here.
      return (long) d;
    }
    return null;
  }

  private static Long outOfRange(int signum) {
    return signum < 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
  }

  private static String describe(Object value) {
    return value instanceof Number ? value.toString() : kind(value);
  }

  private static String kind(Object value) {
    if (value instanceof Number) {
      return "a number";
    }
    if (value instanceof String) {
      return "a string";
    }
    if (value instanceof Boolean) {
      return "a boolean";
    }
    if (value instanceof JsonObject || value instanceof java.util.Map) {
      return "an object";
    }
    return "an array";
  }
}
