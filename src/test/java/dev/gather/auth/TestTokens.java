package dev.gather.auth;

import io.vertx.core.json.JsonObject;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.util.Arrays;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** Real keys and tokens signed with them, for tests that run a gather verifying them. */
final class TestTokens {
  static final String ISSUER = "https://idp.test/";
  static final String AUDIENCE = "gather";

  private TestTokens() {}

  static KeyPair rsaKeys() throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
    generator.initialize(2048);
    return generator.generateKeyPair();
  }

  static KeyPair ecKeys() throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec("secp256r1"));
    return generator.generateKeyPair();
  }

  /** The public key as config holds it: a PEM block. */
  static String pem(KeyPair pair) {
    return "-----BEGIN PUBLIC KEY-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(pair.getPublic().getEncoded())
        + "\n-----END PUBLIC KEY-----\n";
  }

  static JsonObject claims(String subject) {
    long now = System.currentTimeMillis() / 1000;
    return new JsonObject().put("sub", subject).put("iss", ISSUER).put("aud", AUDIENCE).put("iat", now)
        .put("exp", now + 300);
  }

  static String rs256(PrivateKey key, String kid, JsonObject claims) throws Exception {
    return sign("RS256", "SHA256withRSA", key, kid, claims);
  }

  static String es256(PrivateKey key, String kid, JsonObject claims) throws Exception {
    // JOSE wants r||s, which the P1363 format is (the default is DER).
    return sign("ES256", "SHA256withECDSAinP1363Format", key, kid, claims);
  }

  static String hs256(String secret, JsonObject claims) throws Exception {
    String input = b64(new JsonObject().put("alg", "HS256").put("typ", "JWT").encode()) + "." + b64(claims.encode());
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
    return input + "." + b64(mac.doFinal(input.getBytes(StandardCharsets.US_ASCII)));
  }

  /** A token whose header names {@code kid} when it is not null. */
  static String sign(String alg, String javaAlg, PrivateKey key, String kid, JsonObject claims) throws Exception {
    JsonObject header = new JsonObject().put("alg", alg).put("typ", "JWT");
    if (kid != null) {
      header.put("kid", kid);
    }
    String input = b64(header.encode()) + "." + b64(claims.encode());
    Signature signature = Signature.getInstance(javaAlg);
    signature.initSign(key);
    signature.update(input.getBytes(StandardCharsets.US_ASCII));
    return input + "." + b64(signature.sign());
  }

  static JsonObject rsaJwk(String kid, KeyPair pair) {
    RSAPublicKey key = (RSAPublicKey) pair.getPublic();
    return new JsonObject().put("kty", "RSA").put("kid", kid).put("use", "sig").put("alg", "RS256")
        .put("n", b64(unsigned(key.getModulus()))).put("e", b64(unsigned(key.getPublicExponent())));
  }

  private static byte[] unsigned(BigInteger value) {
    byte[] bytes = value.toByteArray();
    return bytes.length > 1 && bytes[0] == 0 ? Arrays.copyOfRange(bytes, 1, bytes.length) : bytes;
  }

  static String b64(String text) {
    return b64(text.getBytes(StandardCharsets.UTF_8));
  }

  static String b64(byte[] bytes) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }
}
