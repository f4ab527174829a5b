package dev.gather.config;

import java.util.Optional;

/**
 * Where cached source answers live: in memory, at most {@code maxBytes} of them for all sources together, and,
 * with {@code redisUrl}, in Redis too, a second level every replica reads (keys under {@code redisPrefix}). A Redis
 * that does not answer within {@code redisTimeoutMs} is passed over: the cache is then memory only.
 */
public record CacheStoreConfig(Optional<String> redisUrl, String redisPrefix, long redisTimeoutMs, long maxBytes) {}
