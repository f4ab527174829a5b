package dev.gather.config;

/** How long a SIGTERM waits for in-flight requests. */
public record ShutdownConfig(long drainMs) {}
