package dev.gather.config;

import java.util.List;
import java.util.Optional;

/**
 * How bearer tokens are verified: the keys (a JWKS URL, PEM public keys, or an HMAC secret), the algorithms a
 * token may name, the issuer and audiences it must carry, and how far clocks may disagree about its times.
 */
public record JwtConfig(Optional<String> jwksUrl, long jwksRefreshMs, long jwksTimeoutMs, long jwksRefetchMinMs,
    List<String> publicKeys, Optional<String> secret, List<String> algorithms, Optional<String> issuer,
    List<String> audience, int clockSkewSeconds) {

  /** What a token's header may name; {@code none} is never among them. */
  public static final List<String> SUPPORTED = List.of("RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
      "ES256", "ES384", "ES512", "EdDSA", "HS256", "HS384", "HS512");

  public static boolean symmetric(String algorithm) {
    return algorithm.startsWith("HS");
  }

  @Override
  public String toString() { // the secret must not reach a log line
    return "JwtConfig[jwksUrl=" + jwksUrl + ", publicKeys=" + publicKeys.size() + ", secret="
        + (secret.isPresent() ? "***" : "none") + ", algorithms=" + algorithms + ", issuer=" + issuer + ", audience="
        + audience + "]";
  }
}
