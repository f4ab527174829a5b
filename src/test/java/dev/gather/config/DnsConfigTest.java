package dev.gather.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code dns.servers} and {@code dns.timeoutMs}: the system's name server unless told; IP addresses only. */
class DnsConfigTest {

  private static DnsConfig dns(JsonObject dns) {
    return GatherConfig.from(new JsonObject().put("dns", dns)).dns();
  }

  @Test
  void theSystemsNameServerUnlessServersAreGiven() {
    assertEquals(new DnsConfig(List.of(), 2000), GatherConfig.from(new JsonObject()).dns());
  }

  @Test
  void serversAreAddressesWithPort53UnlessOneIsGiven() {
    DnsConfig dns = dns(new JsonObject().put("servers",
        new JsonArray().add("10.0.0.10").add("127.0.0.1:5353").add("fd00::10").add("[fd00::11]:54"))
        .put("timeoutMs", 500));

    assertEquals(List.of(new DnsConfig.Server("10.0.0.10", 53), new DnsConfig.Server("127.0.0.1", 5353),
        new DnsConfig.Server("fd00::10", 53), new DnsConfig.Server("fd00::11", 54)), dns.servers());
    assertEquals(500, dns.timeoutMs());
  }

  @Test
  void theEnvironmentGivesServersCommaSeparated() {
    JsonObject merged = new JsonObject().put("GATHER_DNS_SERVERS", "10.0.0.10, 10.0.0.11:53");
    assertEquals(List.of(new DnsConfig.Server("10.0.0.10", 53), new DnsConfig.Server("10.0.0.11", 53)),
        GatherConfig.from(ConfigLoader.applyOverrides(merged)).dns().servers());
  }

  @ParameterizedTest
  @ValueSource(strings = {"dns.internal", "10.0.0.10:99999", "10.0.0.10:", "[fd00::10", "[fd00::10]x", "1.2.3"})
  void aServerThatIsNoAddressIsNamedWithTheFix(String server) {
    JsonObject tree = new JsonObject().put("dns", new JsonObject().put("servers", new JsonArray().add(server)));
    List<String> problems = assertThrows(ConfigException.class, () -> GatherConfig.from(tree)).problems();
    assertEquals(List.of("dns.servers: \"" + server + "\" is not a DNS server; write an IP address with an optional "
        + "port, e.g. \"10.0.0.10\", \"127.0.0.1:5353\" or \"[fd00::10]:53\""), problems);
  }
}
