package dev.gather.fanout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gather.config.GatherConfig;
import dev.gather.failure.Failure;
import dev.gather.failure.FailureKind;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** X-Gather-Errors names each failed source with its kind, and stays bounded however many fail. */
class ErrorsHeaderTest {

  private static Envelope envelope(int sources) {
    JsonObject declared = new JsonObject();
    for (int i = 0; i < sources; i++) {
      declared.put("source" + i, new JsonObject().put("upstream", "u").put("path", "/x"));
    }
    return new Envelope(GatherConfig.from(new JsonObject()
        .put("upstreams", new JsonObject().put("u", new JsonObject().put("url", "http://127.0.0.1:9")))
        .put("aggregates", new JsonObject().put("many", new JsonObject().put("envelope", false)
            .put("sources", declared)))).aggregates().get("many"));
  }

  private static List<SourceResult> failed(int count) {
    List<SourceResult> results = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      results.add(SourceResult.failed("source" + i, 1, new Failure(FailureKind.TIMEOUT, "slow")));
    }
    return results;
  }

  @Test
  void onlyFailedSourcesAreNamedWithTheirKinds() {
    List<SourceResult> results = failed(2);
    results.add(SourceResult.skipped("source2"));
    assertEquals("source0=timeout, source1=timeout", envelope(3).errorsHeader(results));
  }

  @Test
  void manyFailuresAreCutAndCounted() {
    String header = envelope(200).errorsHeader(failed(200));
    assertTrue(header.length() <= Envelope.MAX_ERRORS_HEADER, header.length() + ": " + header);
    assertTrue(header.matches(".*source\\d+=timeout, \\+\\d+ more$"), header);
  }
}
