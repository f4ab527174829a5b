package dev.gather.config;

import java.util.List;

/**
 * Which browser origins may call the API from their pages (CORS). No origins: no CORS answers at all, so browsers
 * keep pages of other origins out (the same-origin default).
 */
public record CorsConfig(List<String> origins, List<String> methods, List<String> headers, List<String> exposedHeaders,
    boolean credentials, int maxAgeSeconds) {

  public boolean enabled() {
    return !origins.isEmpty();
  }
}
