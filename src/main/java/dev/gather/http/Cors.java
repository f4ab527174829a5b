package dev.gather.http;

import dev.gather.config.CorsConfig;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.handler.CorsHandler;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * CORS from config, by Vert.x Web's {@link CorsHandler}: it runs before every route, so a preflight
 * ({@code OPTIONS} with {@code Access-Control-Request-Method}) is answered there and never reaches a route, a guard
 * or an upstream (the proxy routes OPTIONS too), and an actual request gets its {@code Access-Control-*} fields
 * before its route runs, so that a browser page can read errors and 429s as well as successes.
 */
public final class Cors {
  private Cors() {}

  /** The handler for {@code config}, or none when no origin is allowed (browsers then keep to the same origin). */
  public static Optional<CorsHandler> handler(CorsConfig config) {
    if (!config.enabled()) {
      return Optional.empty();
    }
    CorsHandler cors = CorsHandler.create()
        .allowedMethods(config.methods().stream().map(HttpMethod::valueOf).collect(Collectors.toCollection(LinkedHashSet::new)))
        .allowedHeaders(new LinkedHashSet<>(config.headers()))
        .exposedHeaders(new LinkedHashSet<>(config.exposedHeaders()))
        .allowCredentials(config.credentials())
        .maxAgeSeconds(config.maxAgeSeconds());
    if (!config.origins().contains("*")) {
      cors.addOrigins(config.origins());
    }
    return Optional.of(cors);
  }
}
