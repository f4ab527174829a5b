/**
 * The per-source cache: answers of upstream GETs and SQL sources kept in memory (Caffeine, bounded by entries per
 * source and by bytes in all) and, when configured, in Redis as a second level that replicas share. Knows nothing
 * of aggregates or upstreams: it is given a key, a policy and the call to make on a miss.
 */
package dev.gather.cache;
