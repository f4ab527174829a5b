package dev.gather.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gather.RunningGather;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Authentication against a real JWKS server that this test runs and rotates; tokens are signed here with real RSA
 * and EC keys. Users require a token; jobs require the scope jobs:write; aggregates are optional but "me" requires a
 * token and reads {jwt.sub}, and "acme" requires the claim tenant=acme.
 */
class AuthenticationTest {
  private static final String ISSUER = "https://idp.test/";
  private static final String AUDIENCE = "gather";
  private static final String API_KEY = "ci-bot-key-0123456789";

  private static Vertx side;
  private static HttpServer idp;
  private static HttpServer upstream;
  private static RunningGather app;
  private static final AtomicReference<JsonObject> jwks = new AtomicReference<>();
  private static final AtomicInteger jwksFetches = new AtomicInteger();
  private static final List<String> upstreamPaths = new CopyOnWriteArrayList<>();
  private static KeyPair rsa;
  private static KeyPair ec;

  @BeforeAll
  static void start() throws Exception {
    KeyPairGenerator rsaGen = KeyPairGenerator.getInstance("RSA");
    rsaGen.initialize(2048);
    rsa = rsaGen.generateKeyPair();
    KeyPairGenerator ecGen = KeyPairGenerator.getInstance("EC");
    ecGen.initialize(new ECGenParameterSpec("secp256r1"));
    ec = ecGen.generateKeyPair();
    jwks.set(new JsonObject().put("keys", new JsonArray().add(rsaJwk("rsa-1", rsa)).add(ecJwk("ec-1", ec))));

    side = Vertx.vertx();
    idp = side.createHttpServer().requestHandler(req -> {
      jwksFetches.incrementAndGet();
      req.response().putHeader("Content-Type", "application/json").end(jwks.get().encode());
    }).listen(0, "127.0.0.1").await(5, TimeUnit.SECONDS);
    upstream = side.createHttpServer().requestHandler(req -> {
      upstreamPaths.add(req.path());
      req.response().putHeader("Content-Type", "application/json").end(new JsonObject().put("path", req.path()).encode());
    }).listen(0, "127.0.0.1").await(5, TimeUnit.SECONDS);

    JsonObject source = new JsonObject().put("upstream", "test").put("path", "/users/{jwt.sub}").put("required", true);
    app = RunningGather.start(new JsonObject()
        .put("http", new JsonObject().put("instances", 1))
        .put("upstreams", new JsonObject().put("test", new JsonObject()
            .put("url", "http://127.0.0.1:" + upstream.actualPort()).put("timeoutMs", 1000)))
        .put("aggregates", new JsonObject()
            .put("me", new JsonObject().put("path", "/aggregate/me")
                .put("auth", new JsonObject().put("policy", "required"))
                .put("sources", new JsonObject().put("profile", source)))
            .put("acme", new JsonObject().put("path", "/aggregate/acme")
                .put("auth", new JsonObject().put("policy", "required").put("claims", new JsonObject().put("tenant", "acme")))
                .put("sources", new JsonObject().put("profile", source.copy().put("path", "/tenants/{jwt.tenant}"))))
            .put("open", new JsonObject().put("path", "/aggregate/open")
                .put("sources", new JsonObject().put("profile", source.copy().put("path", "/open")))))
        .put("auth", new JsonObject()
            .put("jwt", new JsonObject()
                .put("jwksUrl", "http://127.0.0.1:" + idp.actualPort() + "/.well-known/jwks.json")
                .put("jwksRefetchMinMs", 600_000)
                .put("algorithms", new JsonArray().add("RS256").add("ES256"))
                .put("issuer", ISSUER).put("audience", new JsonArray().add(AUDIENCE)).put("clockSkewSeconds", 30))
            .put("apiKeys", new JsonObject().put("ci-bot", new JsonObject()
                .put("sha256", sha256(API_KEY)).put("scopes", new JsonArray().add("jobs:write"))))
            .put("routes", new JsonObject()
                .put("users", new JsonObject().put("policy", "required"))
                .put("jobs", new JsonObject().put("policy", "required").put("scopes", new JsonArray().add("jobs:write")))
                .put("aggregates", new JsonObject().put("policy", "optional")))));
  }

  @AfterAll
  static void stop() throws Exception {
    if (app != null) {
      app.close();
    }
    side.close().await(10, TimeUnit.SECONDS);
  }

  @Test
  void anRs256TokenFromTheJwksIsAccepted() throws Exception {
    assertEquals(200, get("/users", rs256("rsa-1", claims("alice"))).statusCode());
  }

  @Test
  void anEs256TokenFromTheJwksIsAccepted() throws Exception {
    assertEquals(200, get("/users", es256("ec-1", claims("alice"))).statusCode());
  }

  @Test
  void noCredentialsOnARequiredRouteIs401WithABearerChallenge() throws Exception {
    HttpResponse<Buffer> response = get("/users", null);
    assertEquals(401, response.statusCode());
    assertEquals("application/problem+json", response.getHeader("Content-Type"));
    assertTrue(response.getHeader("WWW-Authenticate").startsWith("Bearer realm=\"gather\""));
  }

  @Test
  void aBadTokenIs401InvalidTokenAndTheDetailNeverQuotesIt() throws Exception {
    String token = rs256("rsa-1", claims("alice"));
    String tampered = token.substring(0, token.length() - 4) + "AAAA";
    HttpResponse<Buffer> response = get("/users", tampered);
    assertEquals(401, response.statusCode());
    assertTrue(response.getHeader("WWW-Authenticate").contains("error=\"invalid_token\""));
    assertFalse(response.bodyAsString().contains(tampered.substring(tampered.indexOf('.') + 1, tampered.lastIndexOf('.'))));
    assertFalse(response.getHeader("WWW-Authenticate").contains(tampered.substring(0, 20)));
  }

  @Test
  void aTokenExpiredWithinTheClockSkewIsAcceptedAndBeyondItRefused() throws Exception {
    long now = System.currentTimeMillis() / 1000;
    HttpResponse<Buffer> withinSkew = get("/users", rs256("rsa-1", claims("alice").put("exp", now - 10)));
    assertEquals(200, withinSkew.statusCode(), withinSkew.bodyAsString());
    HttpResponse<Buffer> expired = get("/users", rs256("rsa-1", claims("alice").put("exp", now - 120)));
    assertEquals(401, expired.statusCode());
    assertTrue(expired.bodyAsJsonObject().getString("detail").contains("expired"));
  }

  @Test
  void aTokenWithoutExpIsRefused() throws Exception {
    JsonObject claims = claims("alice");
    claims.remove("exp");
    assertEquals(401, get("/users", rs256("rsa-1", claims)).statusCode());
  }

  @Test
  void aWrongIssuerOrAudienceIsRefused() throws Exception {
    HttpResponse<Buffer> issuer = get("/users", rs256("rsa-1", claims("alice").put("iss", "https://evil.test/")));
    assertEquals(401, issuer.statusCode());
    assertTrue(issuer.bodyAsJsonObject().getString("detail").contains("iss"), issuer.bodyAsString());
    HttpResponse<Buffer> audience = get("/users", rs256("rsa-1", claims("alice").put("aud", "someone-else")));
    assertEquals(401, audience.statusCode());
    assertTrue(audience.bodyAsJsonObject().getString("detail").contains("aud"), audience.bodyAsString());
  }

  @Test
  void algNoneIsRefused() throws Exception {
    String header = b64(new JsonObject().put("alg", "none").put("typ", "JWT").encode());
    String unsigned = header + "." + b64(claims("alice").encode()) + ".";
    assertEquals(401, get("/users", unsigned).statusCode());
    assertEquals(401, get("/users", unsigned.substring(0, unsigned.length() - 1)).statusCode());
  }

  @Test
  void anHs256TokenKeyedWithTheRsaPublicKeyIsRefused() throws Exception {
    String input = b64(new JsonObject().put("alg", "HS256").put("kid", "rsa-1").encode()) + "."
        + b64(claims("mallory").encode());
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(rsa.getPublic().getEncoded(), "HmacSHA256"));
    String forged = input + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(
        mac.doFinal(input.getBytes(StandardCharsets.US_ASCII)));
    HttpResponse<Buffer> response = get("/users", forged);
    assertEquals(401, response.statusCode());
    assertTrue(response.bodyAsJsonObject().getString("detail").contains("HS256"));
  }

  @Test
  void aTokenWithoutTheRoutesScopeIs403InsufficientScope() throws Exception {
    HttpResponse<Buffer> response = get("/jobs", rs256("rsa-1", claims("alice")));
    assertEquals(403, response.statusCode());
    assertTrue(response.getHeader("WWW-Authenticate").contains("error=\"insufficient_scope\""));
    assertTrue(response.bodyAsJsonObject().getString("detail").contains("jobs:write"));
    assertEquals(200, get("/jobs", rs256("rsa-1", claims("alice").put("scope", "read jobs:write"))).statusCode());
  }

  @Test
  void anApiKeyWithItsScopesIsAcceptedAndAnUnknownOneRefused() throws Exception {
    assertEquals(200, app.client.get("/jobs").putHeader("X-Api-Key", API_KEY).send().await(5, TimeUnit.SECONDS)
        .statusCode());
    HttpResponse<Buffer> unknown = app.client.get("/jobs").putHeader("X-Api-Key", "guess").send()
        .await(5, TimeUnit.SECONDS);
    assertEquals(401, unknown.statusCode());
    assertFalse(unknown.bodyAsString().contains("guess"));
  }

  @Test
  void healthStaysOpenAndAnOptionalAggregateServesAnonymousCallers() throws Exception {
    assertEquals(200, get("/health/live", null).statusCode());
    assertEquals(200, get("/aggregate/open", null).statusCode());
  }

  @Test
  void theTokensSubjectFillsJwtSubInTheAggregatesPath() throws Exception {
    HttpResponse<Buffer> response = get("/aggregate/me", es256("ec-1", claims("alice")));
    assertEquals(200, response.statusCode(), response.bodyAsString());
    assertEquals("/users/alice", response.bodyAsJsonObject().getJsonObject("data").getJsonObject("profile")
        .getString("path"));
    assertEquals(401, get("/aggregate/me", null).statusCode());
  }

  @Test
  void anApiKeyWithoutTheClaimAnAggregateReadsIs403() throws Exception {
    HttpResponse<Buffer> response = app.client.get("/aggregate/me").putHeader("X-Api-Key", API_KEY).send()
        .await(5, TimeUnit.SECONDS);
    assertEquals(403, response.statusCode());
  }

  @Test
  void aRequiredClaimValueIsChecked() throws Exception {
    HttpResponse<Buffer> acme = get("/aggregate/acme", rs256("rsa-1", claims("alice").put("tenant", "acme")));
    assertEquals(200, acme.statusCode(), acme.bodyAsString());
    assertEquals(403, get("/aggregate/acme", rs256("rsa-1", claims("alice").put("tenant", "other"))).statusCode());
  }

  @Test
  void aRotatedKeyIsFetchedOnItsFirstTokenAndUnknownKidsRefetchAtMostOncePerInterval() throws Exception {
    assertEquals(200, get("/users", rs256("rsa-1", claims("alice"))).statusCode());
    KeyPair next = KeyPairGenerator.getInstance("RSA").generateKeyPair();
    // A provider rotating in a new key publishes it beside the old ones (other tests keep using rsa-1).
    jwks.set(new JsonObject().put("keys", new JsonArray().add(rsaJwk("rsa-1", rsa)).add(rsaJwk("rsa-2", next))
        .add(ecJwk("ec-1", ec))));
    int before = jwksFetches.get();
    assertEquals(200, get("/users", sign("RS256", "SHA256withRSA", next.getPrivate(), "rsa-2", claims("bob")))
        .statusCode());
    assertEquals(before + 1, jwksFetches.get());
    for (int i = 0; i < 20; i++) {
      assertEquals(401, get("/users", sign("RS256", "SHA256withRSA", next.getPrivate(), "forged-" + i,
          claims("bob"))).statusCode());
    }
    assertEquals(before + 1, jwksFetches.get(), "bad kids must not refetch within jwksRefetchMinMs");
  }

  // --- tokens, signed here with real keys

  private static HttpResponse<Buffer> get(String path, String token) throws Exception {
    var request = app.client.get(path);
    if (token != null) {
      request.putHeader("Authorization", "Bearer " + token);
    }
    return request.send().await(5, TimeUnit.SECONDS);
  }

  private static JsonObject claims(String subject) {
    long now = System.currentTimeMillis() / 1000;
    return new JsonObject().put("sub", subject).put("iss", ISSUER).put("aud", AUDIENCE).put("iat", now)
        .put("exp", now + 300);
  }

  private static String rs256(String kid, JsonObject claims) throws Exception {
    return sign("RS256", "SHA256withRSA", rsa.getPrivate(), kid, claims);
  }

  private static String es256(String kid, JsonObject claims) throws Exception {
    // JOSE wants r||s, which the P1363 format is (the default is DER).
    return sign("ES256", "SHA256withECDSAinP1363Format", ec.getPrivate(), kid, claims);
  }

  private static String sign(String alg, String javaAlg, PrivateKey key, String kid, JsonObject claims)
      throws Exception {
    String input = b64(new JsonObject().put("alg", alg).put("typ", "JWT").put("kid", kid).encode()) + "."
        + b64(claims.encode());
    Signature signature = Signature.getInstance(javaAlg);
    signature.initSign(key);
    signature.update(input.getBytes(StandardCharsets.US_ASCII));
    return input + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(signature.sign());
  }

  private static JsonObject rsaJwk(String kid, KeyPair pair) {
    RSAPublicKey key = (RSAPublicKey) pair.getPublic();
    return new JsonObject().put("kty", "RSA").put("kid", kid).put("use", "sig").put("alg", "RS256")
        .put("n", b64(unsigned(key.getModulus(), 0))).put("e", b64(unsigned(key.getPublicExponent(), 0)));
  }

  private static JsonObject ecJwk(String kid, KeyPair pair) {
    ECPublicKey key = (ECPublicKey) pair.getPublic();
    return new JsonObject().put("kty", "EC").put("kid", kid).put("use", "sig").put("alg", "ES256").put("crv", "P-256")
        .put("x", b64(unsigned(key.getW().getAffineX(), 32))).put("y", b64(unsigned(key.getW().getAffineY(), 32)));
  }

  private static byte[] unsigned(BigInteger value, int length) {
    byte[] bytes = value.toByteArray();
    if (bytes.length > 1 && bytes[0] == 0) {
      bytes = Arrays.copyOfRange(bytes, 1, bytes.length);
    }
    if (bytes.length < length) {
      byte[] padded = new byte[length];
      System.arraycopy(bytes, 0, padded, length - bytes.length, bytes.length);
      return padded;
    }
    return bytes;
  }

  private static String b64(String text) {
    return b64(text.getBytes(StandardCharsets.UTF_8));
  }

  private static String b64(byte[] bytes) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  static String sha256(String text) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
  }
}
