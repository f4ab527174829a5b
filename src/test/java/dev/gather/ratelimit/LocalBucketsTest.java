package dev.gather.ratelimit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gather.config.Rate;
import dev.gather.time.ManualClock;
import org.junit.jupiter.api.Test;

class LocalBucketsTest {
  private final ManualClock clock = new ManualClock();
  private final LocalBuckets buckets = new LocalBuckets(1000, clock);
  private final Rate twoPerSecondBurstFour = new Rate(2, 4);

  @Test
  void aRestedCallerMaySendTheBurstAtOnceAndNoMore() {
    for (int i = 3; i >= 0; i--) {
      Decision decision = buckets.takeNow("a", twoPerSecondBurstFour);
      assertTrue(decision.allowed());
      assertEquals(i, decision.remaining());
    }
    Decision refused = buckets.takeNow("a", twoPerSecondBurstFour);
    assertFalse(refused.allowed());
    assertEquals(500, refused.retryAfterMs(), "one token comes back every 500 ms at 2 per second");
    assertEquals(2000, refused.fullAfterMs());
  }

  @Test
  void tokensComeBackAtTheRateAsTimePasses() {
    drain("a");
    clock.advance(499);
    assertFalse(buckets.takeNow("a", twoPerSecondBurstFour).allowed());
    clock.advance(1);
    assertTrue(buckets.takeNow("a", twoPerSecondBurstFour).allowed());
    assertFalse(buckets.takeNow("a", twoPerSecondBurstFour).allowed());
  }

  @Test
  void aBucketNeverHoldsMoreThanItsBurst() {
    buckets.takeNow("a", twoPerSecondBurstFour);
    clock.advance(60_000);
    assertEquals(3, buckets.takeNow("a", twoPerSecondBurstFour).remaining());
  }

  @Test
  void eachCallerHasItsOwnBucket() {
    drain("a");
    assertTrue(buckets.takeNow("b", twoPerSecondBurstFour).allowed());
  }

  @Test
  void aBucketIsForgottenOnceItWouldBeFullAgain() {
    drain("a");
    clock.advance(1999);
    assertTrue(buckets.holds("a"));
    clock.advance(2);
    assertFalse(buckets.holds("a"));
    clock.advance(5000); // the cache's timer wheel turns in steps of about a second
    assertEquals(0, buckets.size());
  }

  @Test
  void theNumberOfBucketsIsBounded() {
    LocalBuckets few = new LocalBuckets(10, clock);
    for (int i = 0; i < 1000; i++) {
      few.takeNow("caller-" + i, twoPerSecondBurstFour);
    }
    assertTrue(few.size() <= 10, "kept " + few.size());
  }

  @Test
  void aSlowRateRefillsInFractions() {
    Rate onePerTwoSeconds = new Rate(0.5, 1);
    assertTrue(buckets.takeNow("a", onePerTwoSeconds).allowed());
    assertEquals(2000, buckets.takeNow("a", onePerTwoSeconds).retryAfterMs());
    clock.advance(1000);
    Decision half = buckets.takeNow("a", onePerTwoSeconds);
    assertFalse(half.allowed());
    assertEquals(1000, half.retryAfterMs());
    clock.advance(1000);
    assertTrue(buckets.takeNow("a", onePerTwoSeconds).allowed());
  }

  private void drain(String key) {
    while (buckets.takeNow(key, twoPerSecondBurstFour).allowed()) {
      // taking
    }
  }
}
