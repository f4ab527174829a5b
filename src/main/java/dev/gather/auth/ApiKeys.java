package dev.gather.auth;

import dev.gather.config.ApiKeyConfig;
import dev.gather.http.Caller;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * API keys of machine clients. Config holds only their SHA-256, so a leaked config file gives away no key; a sent
 * key is hashed and looked up by its hash (a lookup by hash reveals nothing useful about a key through timing).
 */
final class ApiKeys {
  private final Map<String, ApiKeyConfig> byHash;

  ApiKeys(Map<String, ApiKeyConfig> keys) {
    this.byHash = keys.values().stream().collect(Collectors.toUnmodifiableMap(ApiKeyConfig::sha256, Function.identity()));
  }

  boolean any() {
    return !byHash.isEmpty();
  }

  Optional<Caller> find(String key) {
    ApiKeyConfig found = byHash.get(sha256(key));
    return found == null ? Optional.empty()
        : Optional.of(new Caller(Caller.Kind.API_KEY, found.name(), found.scopes(), Map.of()));
  }

  static String sha256(String text) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }
}
