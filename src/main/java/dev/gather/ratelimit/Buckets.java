package dev.gather.ratelimit;

import dev.gather.config.Rate;
import io.vertx.core.Future;

/** Where the buckets live: in this process, or in Redis for every replica. */
interface Buckets {
  /** Takes a token from {@code key}'s bucket under {@code rate}; fails when the store cannot answer in time. */
  Future<Decision> take(String key, Rate rate);
}
