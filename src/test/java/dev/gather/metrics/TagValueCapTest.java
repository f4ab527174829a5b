package dev.gather.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class TagValueCapTest {

  @Test
  void valuesBeyondTheCapOfATagAreCountedTogetherAsOther() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    registry.config().meterFilter(new TagValueCap(3));
    for (int i = 0; i < 10; i++) {
      Counter.builder("requests").tag("path", "/p" + i).tag("code", "200").register(registry).increment();
    }

    Set<String> paths = registry.find("requests").counters().stream()
        .map(counter -> counter.getId().getTag("path")).collect(Collectors.toSet());
    assertEquals(Set.of("/p0", "/p1", "/p2", TagValueCap.OTHER), paths);
    assertEquals(7, registry.get("requests").tag("path", TagValueCap.OTHER).counter().count());
  }

  @Test
  void aValueSeenBeforeTheCapWasReachedKeepsItsSeries() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    registry.config().meterFilter(new TagValueCap(2));
    for (String value : new String[] {"a", "b", "c", "a", "d", "b"}) {
      Counter.builder("calls").tag("upstream", value).register(registry).increment();
    }

    assertEquals(2, registry.get("calls").tag("upstream", "a").counter().count());
    assertEquals(2, registry.get("calls").tag("upstream", "b").counter().count());
    assertEquals(2, registry.get("calls").tag("upstream", TagValueCap.OTHER).counter().count());
  }

  @Test
  void eachMeterNameHasItsOwnCap() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    registry.config().meterFilter(new TagValueCap(1));
    Counter.builder("first").tag("kind", "x").register(registry).increment();
    Counter.builder("second").tag("kind", "y").register(registry).increment();

    assertEquals(Set.of("x"), registry.find("first").meters().stream().map(m -> m.getId().getTag("kind")).collect(Collectors.toSet()));
    assertEquals(Set.of("y"), registry.find("second").meters().stream().map(Meter::getId).map(id -> id.getTag("kind")).collect(Collectors.toSet()));
  }
}
