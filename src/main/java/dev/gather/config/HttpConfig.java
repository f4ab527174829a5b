package dev.gather.config;

/** The HTTP front: where it listens, how many event-loop instances serve it, and its limits. */
public record HttpConfig(
    String host, int port, int instances, long maxBodyBytes, long requestTimeoutMs, boolean accessLog) {}
