package dev.gather.ratelimit;

/**
 * What a bucket said about one request.
 *
 * @param allowed whether the request took a token
 * @param remaining whole tokens left after it
 * @param retryAfterMs when the next token will be there (0 when one is)
 * @param fullAfterMs when the bucket will be full again
 */
public record Decision(boolean allowed, long remaining, long retryAfterMs, long fullAfterMs) {}
