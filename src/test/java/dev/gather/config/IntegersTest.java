package dev.gather.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.math.BigDecimal;
import java.math.BigInteger;
import org.junit.jupiter.api.Test;

class IntegersTest {
  private static String refusedJson(Object value) {
    return assertThrows(Integers.Invalid.class, () -> Integers.fromJson("n", value, 1, 10)).getMessage();
  }

  private static String refusedText(String value) {
    return assertThrows(Integers.Invalid.class, () -> Integers.fromText("n", value, 1, 10)).getMessage();
  }

  @Test
  void aJsonNumberThatIsWholeCountsWhateverItsNotation() {
    assertEquals(7, Integers.fromJson("n", 7, 1, 10));
    assertEquals(7, Integers.fromJson("n", 7.0, 1, 10));
    assertEquals(7, Integers.fromJson("n", new BigDecimal("7.000"), 1, 10));
    assertEquals(10, Integers.fromJson("n", new BigDecimal("1E1"), 1, 10));
  }

  @Test
  void everyRefusalSaysTheRangeAndWhatWasSent() {
    assertEquals("n must be an integer from 1 to 10, got 11", refusedJson(11));
    assertEquals("n must be an integer from 1 to 10, got 2.5", refusedJson(2.5));
    assertEquals("n must be an integer from 1 to 10, got \"11\"", refusedText("11"));
    assertEquals("n must be an integer from 1 to 10, got \"ten\"", refusedText("ten"));
  }

  @Test
  void aJsonValueThatIsNotANumberIsNamedByItsKindNeverQuoted() {
    assertEquals("n must be an integer from 1 to 10, got a string", refusedJson("s3cret"));
    assertEquals("n must be an integer from 1 to 10, got a boolean", refusedJson(true));
    assertEquals("n must be an integer from 1 to 10, got an object", refusedJson(new JsonObject()));
  }

  @Test
  void numbersBeyondTheLongRangeAreOutOfRangeNotWrapped() {
    String message = refusedJson(new BigInteger("99999999999999999999"));
    assertEquals("n must be an integer from 1 to 10, got 99999999999999999999", message);
  }

  @Test
  void theRefusalTellsAWholeNumberOutOfRangeFromANonNumber() {
    assertTrue(assertThrows(Integers.Invalid.class, () -> Integers.fromText("n", "70000", 1, 10)).wholeNumber());
    assertFalse(assertThrows(Integers.Invalid.class, () -> Integers.fromText("n", "lots", 1, 10)).wholeNumber());
  }
}
