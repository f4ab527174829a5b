package dev.gather.config;

import java.util.Optional;

/**
 * The PostgreSQL pool; an empty {@code url} means gather runs its own embedded server.
 *
 * @param sslMode PostgreSQL's sslmode (disable, allow, prefer, require, verify-ca, verify-full); empty: the URL's
 * @param tls the CA and client certificate files for it; {@code verifyHost} follows verify-full
 */
public record DbConfig(
    Optional<String> url,
    int poolSize,
    int maxWaitQueue,
    int preparedStatementCacheMaxSize,
    int connectTimeoutMs,
    int queryTimeoutMs,
    EmbeddedDbConfig embedded,
    Optional<String> sslMode,
    TlsConfig tls) {}
