package dev.gather.config;

import java.util.Optional;

/** The PostgreSQL pool; an empty {@code url} means gather runs its own embedded server. */
public record DbConfig(
    Optional<String> url,
    int poolSize,
    int maxWaitQueue,
    int preparedStatementCacheMaxSize,
    int connectTimeoutMs,
    int queryTimeoutMs,
    EmbeddedDbConfig embedded) {}
