package dev.gather.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;

class UpstreamProtocolConfigTest {

  private static JsonObject tree(JsonObject upstream) {
    return new JsonObject().put("upstreams", new JsonObject().put("users", upstream));
  }

  private static UpstreamConfig users(JsonObject upstream) {
    return GatherConfig.from(tree(upstream)).upstreams().get("users");
  }

  private static List<String> problems(JsonObject upstream) {
    return assertThrows(ConfigException.class, () -> GatherConfig.from(tree(upstream))).problems();
  }

  @Test
  void anUpstreamSpeaksHttp1FollowsNoRedirectAndKeeps64ConnectionsByDefault() {
    UpstreamConfig users = users(new JsonObject().put("url", "http://users:8080"));
    assertEquals(UpstreamConfig.Protocol.HTTP1, users.protocol());
    assertEquals(64, users.maxConnections());
    assertEquals(0, users.followRedirects());
    assertEquals(List.of(), users.redirectHosts());
  }

  @Test
  void anHttp2UpstreamKeepsOneConnectionOf100StreamsByDefault() {
    UpstreamConfig users = users(new JsonObject().put("url", "http://users:8080").put("protocol", "h2c"));
    assertEquals(UpstreamConfig.Protocol.H2C, users.protocol());
    assertEquals(1, users.maxConnections());
    assertEquals(100, users.maxStreams());
  }

  @Test
  void anUnknownProtocolIsNamedWithTheChoices() {
    List<String> problems = problems(new JsonObject().put("url", "http://users:8080").put("protocol", "http3"));
    assertEquals(List.of("upstreams.users.protocol = \"http3\": use http1 (the default), http2 (HTTP/2 over TLS, "
        + "https url) or h2c (HTTP/2 without TLS, http url)"), problems);
  }

  @Test
  void http2OverAPlainUrlIsNamedWithTheFix() {
    List<String> problems = problems(new JsonObject().put("url", "http://users:8080").put("protocol", "http2"));
    assertEquals(1, problems.size(), problems.toString());
    assertTrue(problems.get(0).startsWith("upstreams.users.protocol = \"http2\": HTTP/2 is negotiated over TLS"),
        problems.get(0));
    assertTrue(problems.get(0).contains("\"h2c\""), problems.get(0));
  }

  @Test
  void h2cOverAnHttpsUrlIsNamedWithTheFix() {
    List<String> problems = problems(new JsonObject().put("url", "https://users").put("protocol", "h2c"));
    assertEquals(1, problems.size(), problems.toString());
    assertTrue(problems.get(0).startsWith("upstreams.users.protocol = \"h2c\": h2c is HTTP/2 without TLS"),
        problems.get(0));
  }

  @Test
  void aRedirectHostWithASchemeOrPortIsNamed() {
    List<String> problems = problems(new JsonObject().put("url", "http://users:8080").put("followRedirects", 2)
        .put("redirectHosts", new JsonArray().add("cdn.internal").add("https://files.internal:8443")));
    assertEquals(List.of("upstreams.users.redirectHosts: \"https://files.internal:8443\" is not a host name; list bare "
        + "names such as \"cdn.internal\" (no scheme, port or path)"), problems);
  }

  @Test
  void tooManyRedirectsAreNamedWithTheRange() {
    List<String> problems = problems(new JsonObject().put("url", "http://users:8080").put("followRedirects", 50));
    assertEquals(List.of("upstreams.users.followRedirects = 50: out of range; use an integer from 0 to 10 (default 0)"),
        problems);
  }

  @Test
  void aRedirectMayLeadToTheUpstreamsOwnHostOrAListedOneOnly() {
    UpstreamConfig users = users(new JsonObject().put("url", "http://users:8080").put("followRedirects", 1)
        .put("redirectHosts", new JsonArray().add("CDN.internal")));
    assertTrue(users.redirectAllowedTo("users"));
    assertTrue(users.redirectAllowedTo("cdn.internal"));
    assertTrue(!users.redirectAllowedTo("evil.example"));
  }
}
