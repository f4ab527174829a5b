package dev.gather.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class UpstreamHostsConfigTest {

  private static JsonObject tree(JsonObject upstream) {
    return new JsonObject().put("upstreams", new JsonObject().put("users", upstream));
  }

  private static UpstreamConfig users(JsonObject upstream) {
    return GatherConfig.from(tree(upstream)).upstreams().get("users");
  }

  private static List<String> problems(JsonObject upstream) {
    return assertThrows(ConfigException.class, () -> GatherConfig.from(tree(upstream))).problems();
  }

  private static JsonObject withUrls(String... urls) {
    return new JsonObject().put("urls", new JsonArray(List.of((Object[]) urls)));
  }

  @Test
  void oneUrlIsAnUpstreamOfOneHostWithTheDefaultsForSeveral() {
    UpstreamConfig users = users(new JsonObject().put("url", "http://users:8080/api"));

    assertEquals(List.of(URI.create("http://users:8080/api")), users.urls());
    assertEquals(HostsConfig.DEFAULTS, users.hosts());
  }

  @Test
  void urlsListsEveryHostAndTheFirstIsTheUrl() {
    UpstreamConfig users = users(withUrls("https://u1:8443/api", "https://u2:8443/api")
        .put("balance", "round-robin").put("ejectAfterFailures", 3).put("ejectMs", 2000).put("maxEjectedPercent", 34)
        .put("healthPath", "/healthz").put("healthIntervalMs", 1000).put("outlierWindowMs", 30_000)
        .put("outlierMinRequests", 50).put("outlierFailurePercent", 80));

    assertEquals(List.of(URI.create("https://u1:8443/api"), URI.create("https://u2:8443/api")), users.urls());
    assertEquals(URI.create("https://u1:8443/api"), users.url());
    assertEquals("/api", users.basePath());
    assertEquals(new HostsConfig(HostsConfig.Balance.ROUND_ROBIN, 3, 2000, 300_000, 34, Optional.of("/healthz"), 1000,
        1000, 30_000, 50, 80), users.hosts());
  }

  @Test
  void resolveEveryMsIsOffUnlessGiven() {
    assertEquals(0, users(new JsonObject().put("url", "http://users:8080")).hosts().resolveEveryMs());
    assertEquals(30_000, users(new JsonObject().put("url", "http://users:8080").put("resolveEveryMs", 30_000))
        .hosts().resolveEveryMs());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "{\"url\":\"http://a:1\",\"urls\":[\"http://b:1\"]}|upstreams.users.url: given with urls; keep one: url for one "
          + "host, urls for several",
      "{\"urls\":[]}|upstreams.users.urls: empty; list one base URL per host, e.g. [\"http://users-1:8080\", "
          + "\"http://users-2:8080\"]",
      "{\"urls\":[\"http://a:1\",\"https://b:1\"]}|upstreams.users.urls: \"https://b:1\" differs from \"http://a:1\" "
          + "in scheme or path; the hosts of one upstream differ only in host and port (use another upstream for "
          + "another API)",
      "{\"urls\":[\"http://a:1/v1\",\"http://b:1/v2\"]}|upstreams.users.urls: \"http://b:1/v2\" differs from "
          + "\"http://a:1/v1\" in scheme or path; the hosts of one upstream differ only in host and port (use another "
          + "upstream for another API)",
      "{\"urls\":[\"http://a:1\",\"http://A:1\"]}|upstreams.users.urls: \"http://A:1\" is listed twice; list each "
          + "host once",
      "{\"urls\":[\"http://a:1\",\"ftp://b\"]}|upstreams.users.urls: \"ftp://b\": not a base URL; use "
          + "http(s)://host[:port][/base-path] without query, fragment or credentials",
      "{\"urls\":[\"http://a:1\"],\"balance\":\"random\"}|upstreams.users.balance = \"random\": use least-in-flight "
          + "(the default) or round-robin",
      "{\"urls\":[\"http://a:1\"],\"healthPath\":\"healthz\"}|upstreams.users.healthPath = \"healthz\": use a path "
          + "starting with /, e.g. \"/healthz\"",
      "{\"urls\":[\"http://a:1\"],\"maxEjectedPercent\":101}|upstreams.users.maxEjectedPercent = 101: out of range; "
          + "use an integer from 0 to 100 (default 50)",
      "{\"urls\":[\"http://a:1\"],\"healthIntervalMs\":1000,\"healthTimeoutMs\":2000}|upstreams.users.healthTimeoutMs"
          + " = 2000: out of range; use an integer from 1 to 1000 (default 1000)",
      "{\"urls\":[\"http://a:1\"],\"outlierWindowMs\":50}|upstreams.users.outlierWindowMs = 50: out of range; "
          + "use an integer from 100 to 86400000 (default 10000)",
      "{\"urls\":[\"http://a:1\"],\"outlierMinRequests\":0}|upstreams.users.outlierMinRequests = 0: out of range; "
          + "use an integer from 1 to 1000000 (default 20)",
      "{\"urls\":[\"http://a:1\"],\"outlierFailurePercent\":\"half\"}|upstreams.users.outlierFailurePercent = "
          + "\"half\": not a whole number; use an integer from 1 to 100 (default 50)",
      "{\"url\":\"http://a:1\",\"resolveEveryMs\":50}|upstreams.users.resolveEveryMs = 50: too often; use 0 "
          + "(off) or at least 100, e.g. 30000",
      "{\"urls\":[\"http://a:1\"],\"tls\":{}}|upstreams.users.tls: given, but url \"http://a:1\" is not https://; use "
          + "https:// or remove tls",
  })
  void aBadHostSettingIsNamedWithItsFix(String upstream, String problem) {
    assertEquals(List.of(problem), problems(new JsonObject(upstream)));
  }
}
