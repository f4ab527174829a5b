/**
 * Per-client rate limits: token buckets keyed by the caller (token subject, API key or address) per route group or
 * aggregate, kept in process or in Redis, and the guard that answers 429 with the RateLimit header fields.
 */
package dev.gather.ratelimit;
