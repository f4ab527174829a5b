package dev.gather.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The request-building keys of aggregates and sources: read into typed records, every mistake named with its fix. */
class AggregatesRequestsConfigTest {

  private static JsonObject tree(String method, JsonObject sources) {
    JsonObject aggregate = new JsonObject().put("path", "/aggregate/orders/:userId").put("sources", sources);
    if (method != null) {
      aggregate.put("method", method);
    }
    return new JsonObject()
        .put("upstreams", new JsonObject().put("orders", new JsonObject().put("url", "http://127.0.0.1:9000")
            .put("timeoutMs", 800)))
        .put("queries", new JsonObject().put("user_by_id", "SELECT * FROM users WHERE id = $1"))
        .put("aggregates", new JsonObject().put("orders", aggregate));
  }

  private static JsonObject upstream(String path) {
    return new JsonObject().put("upstream", "orders").put("path", path);
  }

  private static String problems(JsonObject tree) {
    return String.join("\n", assertThrows(ConfigException.class, () -> GatherConfig.from(tree)).problems());
  }

  @Test
  void requestKeysAreReadAndTheSourcesTheirTemplatesReadAreDependencies() {
    AggregateConfig orders = GatherConfig.from(tree("post", new JsonObject()
        .put("profile", upstream("/users/{userId}"))
        .put("order", upstream("/orders").put("method", "patch").put("timeoutMs", 300)
            .put("body", new JsonObject().put("owner", "{profile.id}").put("items", "{body.items}"))
            .put("headers", new JsonObject().put("X-Tenant", "{header.X-Tenant}"))
            .put("query", new JsonObject().put("page", "{page}").put("tag", new JsonArray().add("a").add("b")))
            .put("forwardQuery", new JsonArray().add("sort"))
            .put("passStatus", new JsonArray().add(404).add(409)).put("required", true))
        .put("account", new JsonObject().put("query", "user_by_id").put("params", new JsonArray().add("{userId}"))
            .put("one", true)))).aggregates().get("orders");
    assertEquals("POST", orders.method());
    assertTrue(orders.readsBody());
    assertEquals(Set.of("X-Tenant"), orders.headersRead());
    SourceConfig order = orders.sources().stream().filter(s -> s.name().equals("order")).findFirst().orElseThrow();
    assertEquals("PATCH", order.method());
    assertEquals(Set.of("profile"), order.dependencies(), "body, header and query placeholders are not sources");
    assertEquals(300, order.timeoutMs());
    assertEquals(List.of(404, 409), order.passStatus());
    assertEquals(List.of("sort"), order.forwardQuery());
    assertEquals(2, order.queryParams().get("tag").size());
    assertTrue(orders.sources().stream().filter(s -> s.name().equals("account")).findFirst().orElseThrow().one());
  }

  @Test
  void anAggregateIsRoutedOnGetUnlessItSaysOtherwise() {
    assertEquals("GET", GatherConfig.from(tree(null, new JsonObject().put("a", upstream("/a"))))
        .aggregates().get("orders").method());
  }

  @Test
  void anUnknownAggregateMethodIsNamed() {
    assertTrue(problems(tree("FETCH", new JsonObject().put("a", upstream("/a"))))
        .startsWith("aggregates.orders.method = \"FETCH\": use one of GET, POST, PUT, PATCH, DELETE"));
  }

  @Test
  void aBodyOnAGetSourceIsNamedWithTheFix() {
    assertTrue(problems(tree("POST", new JsonObject().put("a", upstream("/a").put("body", "{body}"))))
        .startsWith("aggregates.orders.sources.a.body: a GET request has no body; set \"method\": \"POST\""));
  }

  @Test
  void readingTheClientsBodyOnAGetAggregateIsNamedWithTheFix() {
    String problems = problems(tree(null, new JsonObject().put("a", upstream("/a/{body.id}"))));
    assertTrue(problems.contains("aggregates.orders.sources.a: reads {body…} but the aggregate answers GET"), problems);
  }

  @Test
  void aSourceTimeoutAboveItsUpstreamsIsNamed() {
    assertEquals("aggregates.orders.sources.a.timeoutMs = 900: more than upstream orders's timeoutMs (800); use at"
        + " most 800", problems(tree(null, new JsonObject().put("a", upstream("/a").put("timeoutMs", 900)))));
  }

  @Test
  void aReservedSourceNameIsNamedWithTheFix() {
    assertTrue(problems(tree(null, new JsonObject().put("body", upstream("/a"))))
        .startsWith("aggregates.orders.sources.body: \"body\" is reserved"));
  }

  @Test
  void passStatusOnAnOptionalSourceOrOutside4xxIsNamed() {
    String problems = problems(tree(null, new JsonObject()
        .put("a", upstream("/a").put("passStatus", new JsonArray().add(404)))
        .put("b", upstream("/b").put("required", true).put("passStatus", new JsonArray().add(500)))));
    assertTrue(problems.contains("aggregates.orders.sources.a.passStatus: only a required upstream source"), problems);
    assertTrue(problems.contains("aggregates.orders.sources.b.passStatus: 500 is not an integer from 400 to 499"),
        problems);
  }

  @Test
  void oneOnAnUpstreamSourceAndRequestKeysOnASqlSourceAreNamed() {
    String problems = problems(tree(null, new JsonObject()
        .put("a", upstream("/a").put("one", true))
        .put("b", new JsonObject().put("query", "user_by_id").put("params", new JsonArray().add("{userId}"))
            .put("headers", new JsonObject().put("X-A", "1")))));
    assertTrue(problems.contains("aggregates.orders.sources.a.one: only a SQL source"), problems);
    assertTrue(problems.contains("aggregates.orders.sources.b.headers: only an upstream source sends a request"),
        problems);
  }

  @Test
  void aHeaderGatherSetsItselfOrABadHeaderNameIsNamed() {
    String problems = problems(tree(null, new JsonObject().put("a", upstream("/a")
        .put("headers", new JsonObject().put("X-Request-Id", "x").put("bad name", "y")))));
    assertTrue(problems.contains("aggregates.orders.sources.a.headers.X-Request-Id: gather sets this header itself"),
        problems);
    assertTrue(problems.contains("aggregates.orders.sources.a.headers.bad name: not a header name"), problems);
  }
}
