package dev.gather.upstream;

/**
 * What one call (or one SQL source) gave, as it goes into the aggregate's envelope: its data (decoded, a
 * {@link RawJson} when nobody reads into it, or null for an empty body), the 2xx status it came with (200 for
 * SQL), and how it was got.
 */
public record Answer(Object data, int status, CallStats stats) {
  Answer with(CallStats stats) {
    return new Answer(data, status, stats);
  }
}
