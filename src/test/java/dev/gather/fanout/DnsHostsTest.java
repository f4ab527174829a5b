package dev.gather.fanout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gather.Await;
import dev.gather.RunningGather;
import dev.gather.tls.TestCertificates;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.datagram.DatagramSocket;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Upstreams named by DNS names that gather resolves itself ({@code resolveEveryMs}) with a DNS server of the
 * test's own (a datagram socket answering A queries from a table the test changes), in front of upstream servers
 * on 127.0.0.1 to 127.0.0.4, one port: calls go to every address a name resolves to, carrying the name; a changed
 * answer is followed; a DNS server that stops answering, or answers no address, leaves the last addresses in
 * place; over TLS, SNI and the certificate check use the name. Each upstream (and name) is used by one test only.
 */
class DnsHostsTest {
  private static final List<String> ADDRESSES = List.of("127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4");

  private static Vertx servers;
  private static int port;
  private static int dnsPort;
  /** What the DNS server answers for each name; a name it does not know gets NXDOMAIN. */
  private static final Map<String, List<String>> answers = new ConcurrentHashMap<>();
  /** Names whose queries the DNS server drops. */
  private static final Set<String> silent = ConcurrentHashMap.newKeySet();
  /** Queries the DNS server got, by name. */
  private static final Map<String, AtomicInteger> queries = new ConcurrentHashMap<>();
  /** Calls each address got, by "Host header@address". */
  private static final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
  private static RunningGather app;
  /** An HTTPS upstream on 127.0.0.1 whose certificate names secure.gather.test only, and the SNI names it got. */
  private static int tlsPort;
  private static final List<String> serverNames = new java.util.concurrent.CopyOnWriteArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    servers = Vertx.vertx();
    startUpstreams();
    java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("gather-dns-tls");
    TestCertificates ca = TestCertificates.authority(dir, "dns-test-ca");
    TestCertificates.Issued certificate = ca.issue("secure.gather.test", TestCertificates.dns("secure.gather.test"));
    tlsPort = servers.createHttpServer(new io.vertx.core.http.HttpServerOptions().setSsl(true).setSni(true)
            .setKeyCertOptions(new io.vertx.core.net.PemKeyCertOptions().setCertPath(certificate.certFile().toString())
                .setKeyPath(certificate.keyFile().toString())))
        .requestHandler(request -> {
          serverNames.add(String.valueOf(request.connection().indicatedServerName()));
          request.response().putHeader("Content-Type", "application/json")
              .end(new JsonObject().put("host", request.authority().host()).encode());
        })
        .listen(0, "127.0.0.1").await(5, TimeUnit.SECONDS).actualPort();
    DatagramSocket dns = servers.createDatagramSocket();
    dns.handler(packet -> {
      Buffer reply = answer(packet.data());
      if (reply != null) {
        dns.send(reply, packet.sender().port(), packet.sender().host());
      }
    });
    dnsPort = dns.listen(0, "127.0.0.1").await(5, TimeUnit.SECONDS).localAddress().port();
    answers.put("spread.gather.test", List.of("127.0.0.1", "127.0.0.2", "127.0.0.3"));
    answers.put("moving.gather.test", List.of("127.0.0.1", "127.0.0.2", "127.0.0.3"));
    answers.put("silent.gather.test", List.of("127.0.0.1", "127.0.0.2"));
    answers.put("emptied.gather.test", List.of("127.0.0.3", "127.0.0.4"));
    answers.put("secure.gather.test", List.of("127.0.0.1"));
    answers.put("impostor.gather.test", List.of("127.0.0.1")); // the same server, a name its certificate lacks
    JsonObject upstreams = new JsonObject();
    JsonObject aggregates = new JsonObject();
    for (String name : List.of("spread", "moving", "silent", "emptied")) {
      upstreams.put(name, new JsonObject().put("url", "http://" + name + ".gather.test:" + port)
          .put("resolveEveryMs", 100));
      aggregates.put(name, new JsonObject().put("deadlineMs", 3000).put("sources", new JsonObject().put("only",
          new JsonObject().put("upstream", name).put("path", "/item").put("required", true))));
    }
    for (String name : List.of("secure", "impostor")) {
      upstreams.put(name, new JsonObject().put("url", "https://" + name + ".gather.test:" + tlsPort)
          .put("resolveEveryMs", 100).put("tls", new JsonObject().put("caFile", ca.ca().certFile().toString())));
      aggregates.put(name, new JsonObject().put("deadlineMs", 3000).put("sources", new JsonObject().put("only",
          new JsonObject().put("upstream", name).put("path", "/item").put("required", true))));
    }
    app = RunningGather.start(new JsonObject().put("upstreams", upstreams).put("aggregates", aggregates)
        .put("dns", new JsonObject().put("servers", new JsonArray().add("127.0.0.1:" + dnsPort))
            .put("timeoutMs", 200)));
  }

  /** A counting server on each of 127.0.0.1 to .4 (Linux loopback answers all of 127/8), on one port. */
  private static void startUpstreams() throws Exception {
    for (int attempt = 0; ; attempt++) {
      List<HttpServer> started = new ArrayList<>();
      try {
        for (String address : ADDRESSES) {
          HttpServer server = servers.createHttpServer().requestHandler(request -> {
            calls.computeIfAbsent(request.getHeader("Host") + "@" + request.localAddress().host(),
                key -> new AtomicInteger()).incrementAndGet();
            request.response().end("{\"at\":\"" + request.localAddress().host() + "\"}");
          });
          started.add(server.listen(started.isEmpty() ? 0 : port, address).await(5, TimeUnit.SECONDS));
          port = started.get(0).actualPort();
        }
        return;
      } catch (Exception e) { // the port the first took is taken on another address: try another
        for (HttpServer server : started) {
          server.close().await(5, TimeUnit.SECONDS);
        }
        if (attempt == 5) {
          throw e;
        }
      }
    }
  }

  /**
   * The answer to one DNS query (RFC 1035 4.1): the query's id and question, then an A record per address of a
   * known name (an AAAA query gets none, as for a name with IPv4 addresses only); NXDOMAIN for an unknown name;
   * null (no answer) for a silent one.
   */
  private static Buffer answer(Buffer query) {
    int at = 12;
    StringBuilder name = new StringBuilder();
    for (int length = query.getUnsignedByte(at); length > 0; length = query.getUnsignedByte(at)) {
      name.append(name.length() == 0 ? "" : ".").append(query.getString(at + 1, at + 1 + length));
      at += 1 + length;
    }
    int type = query.getUnsignedShort(at + 1);
    int questionEnd = at + 5;
    String asked = name.toString().toLowerCase(java.util.Locale.ROOT);
    queries.computeIfAbsent(asked, n -> new AtomicInteger()).incrementAndGet();
    if (silent.contains(asked)) {
      return null;
    }
    List<String> known = answers.get(asked);
    List<String> records = known == null || type != 1 ? List.of() : known;
    Buffer reply = Buffer.buffer()
        .appendUnsignedShort(query.getUnsignedShort(0))
        .appendUnsignedShort(0x8180 | (known == null ? 3 : 0)) // response, recursion desired and available; rcode
        .appendUnsignedShort(1)
        .appendUnsignedShort(records.size())
        .appendUnsignedShort(0)
        .appendUnsignedShort(0)
        .appendBuffer(query.getBuffer(12, questionEnd));
    for (String address : records) {
      reply.appendUnsignedShort(0xC00C) // the name: a pointer to the question's
          .appendUnsignedShort(1).appendUnsignedShort(1).appendInt(1).appendUnsignedShort(4);
      for (String part : address.split("\\.")) {
        reply.appendUnsignedByte((short) Integer.parseInt(part));
      }
    }
    return reply;
  }

  @AfterAll
  static void stop() throws Exception {
    app.close();
    servers.close().await(10, TimeUnit.SECONDS);
  }

  private static HttpResponse<Buffer> get(String uri) throws Exception {
    return app.client.get(uri).send().await(15, TimeUnit.SECONDS);
  }

  private static String label(String address) {
    return address + ":" + port;
  }

  /** The hosts readiness lists for {@code upstream}, as the addresses they are. */
  private static Set<String> hosts(String upstream) throws Exception {
    JsonObject hosts = get("/health/ready").bodyAsJsonObject().getJsonObject("checks")
        .getJsonObject("upstreamHosts").getJsonObject(upstream);
    return hosts.fieldNames().stream().map(label -> label.substring(0, label.lastIndexOf(':')))
        .collect(Collectors.toCollection(java.util.TreeSet::new));
  }

  private static void awaitHosts(String upstream, String... addresses) throws Exception {
    Set<String> expected = new java.util.TreeSet<>(List.of(addresses));
    Await.value(upstream + "'s hosts to be " + expected, Duration.ofSeconds(10), () -> hosts(upstream),
        expected::equals);
  }

  /** Calls the upstream's name got at each address. */
  private static Map<String, Integer> callsTo(String upstream) {
    Map<String, Integer> counts = new java.util.TreeMap<>();
    for (String address : ADDRESSES) {
      AtomicInteger count = calls.get(upstream + ".gather.test:" + port + "@" + address);
      counts.put(address, count == null ? 0 : count.get());
    }
    return counts;
  }

  private static Map<String, Integer> since(Map<String, Integer> before, Map<String, Integer> after) {
    Map<String, Integer> counts = new java.util.TreeMap<>();
    after.forEach((address, count) -> counts.put(address, count - before.get(address)));
    return counts;
  }

  private static void callAggregate(String name, int times) throws Exception {
    for (int i = 0; i < times; i++) {
      assertEquals(200, get("/aggregate/" + name).statusCode());
    }
  }

  private static String metrics() throws Exception {
    return get("/metrics").bodyAsString();
  }

  @Test
  void callsAreSpreadOverEveryAddressTheNameResolvesToAndCarryTheName() throws Exception {
    awaitHosts("spread", "127.0.0.1", "127.0.0.2", "127.0.0.3");

    callAggregate("spread", 30);

    Map<String, Integer> counts = callsTo("spread");
    assertEquals(30, counts.values().stream().mapToInt(Integer::intValue).sum(),
        "every call carried Host: spread.gather.test:" + port + "; " + calls);
    assertTrue(counts.get("127.0.0.1") > 0 && counts.get("127.0.0.2") > 0 && counts.get("127.0.0.3") > 0,
        "every address got calls: " + counts);
    assertEquals(0, counts.get("127.0.0.4"));
    JsonObject second = get("/health/ready").bodyAsJsonObject().getJsonObject("checks")
        .getJsonObject("upstreamHosts").getJsonObject("spread").getJsonObject(label("127.0.0.2"));
    assertEquals("up", second.getString("state"));
    assertEquals("spread.gather.test", second.getString("name"));
    assertTrue(metrics().contains("gather_upstream_host_state{host=\"" + label("127.0.0.2")
        + "\",upstream=\"spread\"} 0.0"));
  }

  @Test
  void anHttpsUpstreamReachedAtAResolvedAddressIsVerifiedAndGreetedByItsName() throws Exception {
    awaitHosts("secure", "127.0.0.1");

    HttpResponse<Buffer> answer = get("/aggregate/secure");

    assertEquals(200, answer.statusCode(), answer.bodyAsString());
    assertEquals("secure.gather.test", answer.bodyAsJsonObject().getJsonObject("data").getJsonObject("only")
        .getString("host"), "the Host header names the name, not the address");
    assertTrue(serverNames.contains("secure.gather.test"), "SNI named the name: " + serverNames);
  }

  @Test
  void aResolvedAddressWhoseCertificateLacksTheNameIsRefused() throws Exception {
    awaitHosts("impostor", "127.0.0.1");

    HttpResponse<Buffer> answer = get("/aggregate/impostor");

    assertEquals(502, answer.statusCode(), answer.bodyAsString());
    assertEquals("tls_wrong_host", answer.bodyAsJsonObject().getJsonObject("errors").getJsonObject("only")
        .getString("kind"), "checked against the name, not the address: " + answer.bodyAsString());
  }

  @Test
  void whenTheAnswerChangesCallsGoToTheNewAddressesOnly() throws Exception {
    awaitHosts("moving", "127.0.0.1", "127.0.0.2", "127.0.0.3");
    callAggregate("moving", 6);

    answers.put("moving.gather.test", List.of("127.0.0.2", "127.0.0.3", "127.0.0.4"));
    awaitHosts("moving", "127.0.0.2", "127.0.0.3", "127.0.0.4");
    Map<String, Integer> before = callsTo("moving");
    callAggregate("moving", 30);

    Map<String, Integer> counts = since(before, callsTo("moving"));
    assertEquals(0, counts.get("127.0.0.1"), "the address that left got no call: " + counts);
    assertEquals(30, counts.get("127.0.0.2") + counts.get("127.0.0.3") + counts.get("127.0.0.4"));
    assertTrue(counts.get("127.0.0.4") > 0, "the address that came got calls: " + counts);
    String metrics = metrics();
    assertTrue(metrics.contains("gather_upstream_host_state{host=\"" + label("127.0.0.4")
        + "\",upstream=\"moving\"} 0.0"));
    assertFalse(metrics.contains("host=\"" + label("127.0.0.1") + "\",upstream=\"moving\""),
        "the series of the address that left are gone");
  }

  @Test
  void aDnsServerThatStopsAnsweringLeavesTheLastAddressesInPlace() throws Exception {
    awaitHosts("silent", "127.0.0.1", "127.0.0.2");

    silent.add("silent.gather.test");
    int asked = queries.get("silent.gather.test").get();
    // A and AAAA per resolution, the next only once the last has timed out: two resolutions went unanswered.
    Await.until("two more resolutions of silent.gather.test", Duration.ofSeconds(10),
        () -> queries.get("silent.gather.test").get() >= asked + 4);

    assertEquals(Set.of("127.0.0.1", "127.0.0.2"), hosts("silent"));
    Map<String, Integer> before = callsTo("silent");
    callAggregate("silent", 10);
    Map<String, Integer> counts = since(before, callsTo("silent"));
    assertTrue(counts.get("127.0.0.1") > 0 && counts.get("127.0.0.2") > 0, "both kept addresses got calls: " + counts);
    assertTrue(metrics().matches("(?s).*gather_upstream_dns_failures_total\\{upstream=\"silent\"} [1-9].*"));
  }

  @Test
  void anAnswerWithNoAddressLeavesTheLastAddressesInPlace() throws Exception {
    awaitHosts("emptied", "127.0.0.3", "127.0.0.4");

    answers.put("emptied.gather.test", List.of());
    int asked = queries.get("emptied.gather.test").get();
    Await.until("two more resolutions of emptied.gather.test", Duration.ofSeconds(10),
        () -> queries.get("emptied.gather.test").get() >= asked + 4);

    assertEquals(Set.of("127.0.0.3", "127.0.0.4"), hosts("emptied"));
    Map<String, Integer> before = callsTo("emptied");
    callAggregate("emptied", 10);
    assertEquals(10, since(before, callsTo("emptied")).values().stream().mapToInt(Integer::intValue).sum());
  }
}
