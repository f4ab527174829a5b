package dev.gather.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class RequestIdsTest {
  @Test
  void aFreshIdIsTwoRandomLongsWithTheirTopBitSetInHex() {
    for (int i = 0; i < 1000; i++) {
      String id = RequestIds.fresh();
      assertEquals(32, id.length(), id);
      for (String half : new String[] {id.substring(0, 16), id.substring(16)}) {
        long value = Long.parseUnsignedLong(half, 16);
        assertTrue(value < 0, id);
        assertEquals(Long.toHexString(value), half, id);
      }
    }
  }
}
