package dev.gather.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.vertx.core.MultiMap;
import org.junit.jupiter.api.Test;

/** What makes two calls the same call: never the trace a caller happens to be in. */
class CoalescingKeyTest {

  @Test
  void callsInDifferentTracesShareOneKey() {
    MultiMap one = MultiMap.caseInsensitiveMultiMap().add("Authorization", "Bearer a")
        .add("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
        .add("tracestate", "vendor=1").add("baggage", "user=1");
    MultiMap other = MultiMap.caseInsensitiveMultiMap().add("Authorization", "Bearer a")
        .add("Traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
    assertEquals(Upstream.coalescingKey("/x", one, Upstream.JsonBody.CHECKED),
        Upstream.coalescingKey("/x", other, Upstream.JsonBody.CHECKED));
  }

  @Test
  void callsWithDifferentCredentialsStillDiffer() {
    MultiMap one = MultiMap.caseInsensitiveMultiMap().add("Authorization", "Bearer a");
    MultiMap other = MultiMap.caseInsensitiveMultiMap().add("Authorization", "Bearer b");
    assertNotEquals(Upstream.coalescingKey("/x", one, Upstream.JsonBody.CHECKED),
        Upstream.coalescingKey("/x", other, Upstream.JsonBody.CHECKED));
  }
}
