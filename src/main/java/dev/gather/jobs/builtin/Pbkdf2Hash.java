package dev.gather.jobs.builtin;

import dev.gather.jobs.handler.JobContext;
import dev.gather.jobs.handler.JobHandler;
import dev.gather.jobs.handler.JobPool;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * PBKDF2-HMAC-SHA256 (RFC 8018, section 5.2), written out here rather than taken from the JCE's
 * SecretKeyFactory because that cannot be interrupted: a run of ten million iterations must still stop when
 * cancelled. The output is byte for byte what {@code PBKDF2WithHmacSHA256} gives.
 */
public final class Pbkdf2Hash implements JobHandler {
  static final String ALGORITHM = "PBKDF2WithHmacSHA256";
  private static final String HMAC = "HmacSHA256";
  private static final int MAX_PASSWORD_CHARS = 1024;
  private static final int MIN_SALT_BYTES = 16;
  private static final int MAX_SALT_BYTES = 64;
  private static final int DEFAULT_SALT_BYTES = 16;
  private static final int DEFAULT_ITERATIONS = 210_000;
  private static final int DEFAULT_KEY_BITS = 256;
  /** A few milliseconds of HMACs between looks at the signal. */
  private static final int CHECK_EVERY = 10_000;

  private static final SecureRandom RANDOM = new SecureRandom();

  /** Not a record: a record's toString would print the password if this ever reached a log. */
  private static final class Params {
    final String password;
    final Optional<byte[]> salt;
    final int iterations;
    final int keyBits;

    Params(String password, Optional<byte[]> salt, int iterations, int keyBits) {
      this.password = password;
      this.salt = salt;
      this.iterations = iterations;
      this.keyBits = keyBits;
    }
  }

  @Override
  public String name() {
    return "crypto.pbkdf2";
  }

  @Override
  public JobPool pool() {
    return JobPool.CPU;
  }

  @Override
  public void validate(JsonObject input) {
    params(input);
  }

  @Override
  public JsonObject run(JobContext context) throws GeneralSecurityException {
    Params params = Inputs.forRun(() -> params(context.input()));
    byte[] salt = params.salt.orElseGet(Pbkdf2Hash::randomSalt);
    byte[] hash = derive(params.password, salt, params.iterations, params.keyBits / 8, context);
    Base64.Encoder base64 = Base64.getEncoder();
    return new JsonObject()
        .put("algorithm", ALGORITHM)
        .put("iterations", params.iterations)
        .put("keyLength", params.keyBits)
        .put("salt", base64.encodeToString(salt))
        .put("hash", base64.encodeToString(hash));
  }

  static byte[] derive(String password, byte[] salt, int iterations, int keyBytes, JobContext context)
      throws GeneralSecurityException {
    Mac prf = Mac.getInstance(HMAC);
    // UTF-8, as the JCE's PBKDF2 encodes the password, so both give the same hash.
    byte[] passwordBytes = password.getBytes(StandardCharsets.UTF_8);
    try {
      prf.init(new SecretKeySpec(passwordBytes, HMAC));
    } finally {
      Arrays.fill(passwordBytes, (byte) 0);
    }
    int hLen = prf.getMacLength();
    byte[] key = new byte[keyBytes];
    byte[] u = new byte[hLen];
    byte[] t = new byte[hLen];
    for (int block = 1, offset = 0; offset < keyBytes; block++, offset += hLen) {
      context.throwIfCancelled();
      prf.update(salt);
      prf.update(bigEndian(block));
      prf.doFinal(u, 0);
      System.arraycopy(u, 0, t, 0, hLen);
      for (int i = 1; i < iterations; i++) {
        if (i % CHECK_EVERY == 0) {
          context.throwIfCancelled();
        }
        prf.update(u);
        prf.doFinal(u, 0);
        for (int k = 0; k < hLen; k++) {
          t[k] ^= u[k];
        }
      }
      System.arraycopy(t, 0, key, offset, Math.min(hLen, keyBytes - offset));
    }
    return key;
  }

  private static byte[] bigEndian(int i) {
    return new byte[] {(byte) (i >>> 24), (byte) (i >>> 16), (byte) (i >>> 8), (byte) i};
  }

  private static byte[] randomSalt() {
    byte[] salt = new byte[DEFAULT_SALT_BYTES];
    RANDOM.nextBytes(salt);
    return salt;
  }

  private static Params params(JsonObject input) {
    String password = Inputs.optionalString(input, "password")
        .orElseThrow(() -> new IllegalArgumentException("password is required: a non-empty string of at most "
            + MAX_PASSWORD_CHARS + " characters"));
    if (password.isEmpty() || password.length() > MAX_PASSWORD_CHARS) {
      throw new IllegalArgumentException("password must be a non-empty string of at most " + MAX_PASSWORD_CHARS
          + " characters, got " + password.length());
    }
    Optional<byte[]> salt = Inputs.optionalString(input, "salt").map(Pbkdf2Hash::salt);
    int iterations = (int) Inputs.optionalInteger(input, "iterations", 1000, 10_000_000).orElse(DEFAULT_ITERATIONS);
    int keyBits = (int) Inputs.optionalInteger(input, "keyLength", 128, 512).orElse(DEFAULT_KEY_BITS);
    if (keyBits % 8 != 0) {
      throw new IllegalArgumentException("keyLength is in bits and must be a multiple of 8 from 128 to 512, got "
          + keyBits);
    }
    return new Params(password, salt, iterations, keyBits);
  }

  private static byte[] salt(String base64) {
    byte[] salt;
    try {
      salt = Base64.getDecoder().decode(base64);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("salt must be standard base64 (A-Z, a-z, 0-9, '+', '/', '=' padding): "
          + e.getMessage());
    }
    if (salt.length < MIN_SALT_BYTES || salt.length > MAX_SALT_BYTES) {
      throw new IllegalArgumentException("salt must decode to " + MIN_SALT_BYTES + " to " + MAX_SALT_BYTES
          + " bytes, got " + salt.length + "; leave it out for " + DEFAULT_SALT_BYTES + " random bytes");
    }
    return salt;
  }
}
