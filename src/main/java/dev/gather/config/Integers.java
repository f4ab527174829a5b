package dev.gather.config;

import java.math.BigDecimal;
import java.math.BigInteger;

/**
 * Reads a whole number within a range, the same way for config values, query parameters, job fields and job
 * inputs, and says what is wrong in one wording: "{@code <field> must be an integer from <min> to <max>, got <value>}".
 */
public final class Integers {
  private Integers() {}

  /** Why a value was refused; {@link #getMessage()} is the one wording. */
  public static final class Invalid extends IllegalArgumentException {
    private final boolean wholeNumber;

    private Invalid(String message, boolean wholeNumber) {
      super(message);
      this.wholeNumber = wholeNumber;
    }

    /** Bad input, not a bug: no stack trace to take. */
    @Override
    public synchronized Throwable fillInStackTrace() {
      return this;
    }

    /** True when the value was a whole number, only outside the range. */
    public boolean wholeNumber() {
      return wholeNumber;
    }
  }

  /** What a field must be, e.g. "limit must be an integer from 1 to 500". */
  public static String expected(String field, long min, long max) {
    return field + " must be an integer from " + min + " to " + max;
  }

  /**
   * A JSON value: only numbers count (JSON has one number type, so 1e3 and 1000.0 are the integer 1000 too).
   * Anything else is named by its kind, never quoted back, so a secret given in the wrong field cannot leak.
   */
  public static long fromJson(String field, Object value, long min, long max) {
    Long integral = integral(value);
    if (integral == null) {
      throw new Invalid(expected(field, min, max) + ", got " + describe(value), false);
    }
    return inRange(field, integral, value, min, max);
  }

  /** A text value (a query parameter, an environment variable), quoted back as sent when it is refused. */
  public static long fromText(String field, String value, long min, long max) {
    long parsed;
    try {
      parsed = Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      throw new Invalid(expected(field, min, max) + ", got \"" + value + "\"", false);
    }
    return inRange(field, parsed, "\"" + value + "\"", min, max);
  }

  private static long inRange(String field, long value, Object shown, long min, long max) {
    if (value < min || value > max) {
      throw new Invalid(expected(field, min, max) + ", got " + shown, true);
    }
    return value;
  }

  /** The integer a JSON number holds, saturated beyond the long range; null when it is not whole or not a number. */
  private static Long integral(Object value) {
    if (value instanceof Integer || value instanceof Long || value instanceof Short || value instanceof Byte) {
      return ((Number) value).longValue();
    }
    if (value instanceof BigInteger big) {
      return big.bitLength() < Long.SIZE ? big.longValue() : saturated(big.signum());
    }
    if (value instanceof BigDecimal dec) {
      try {
        return dec.longValueExact();
      } catch (ArithmeticException e) {
        return dec.stripTrailingZeros().scale() <= 0 ? saturated(dec.signum()) : null;
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

  private static Long saturated(int signum) {
    return signum < 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
  }

  private static String describe(Object value) {
    if (value instanceof Number) {
      return value.toString();
    }
    if (value instanceof String) {
      return "a string";
    }
    if (value instanceof Boolean) {
      return "a boolean";
    }
    if (value instanceof java.util.Map || value instanceof io.vertx.core.json.JsonObject) {
      return "an object";
    }
    return "an array";
  }
}
