package dev.gather.config;

/**
 * The HTTP front: where it listens, how many event-loop instances serve it, and its limits. The four limits
 * of a connection ({@code headerTimeoutMs}, {@code idleTimeoutMs}, {@code bodyTimeoutMs}, {@code maxConnections})
 * bound what one client can hold without sending a request.
 */
public record HttpConfig(
    String host, int port, int instances, long maxBodyBytes, long requestTimeoutMs, boolean accessLog,
    long headerTimeoutMs, long idleTimeoutMs, long bodyTimeoutMs, int maxConnections) {}
