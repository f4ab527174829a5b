package dev.gather.config;

/** The demo upstream that stands in for external APIs in the quick start. */
public record DemoConfig(boolean enabled, String host, int port) {}
