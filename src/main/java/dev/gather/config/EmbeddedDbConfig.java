package dev.gather.config;

import java.nio.file.Path;

/** Where the embedded PostgreSQL keeps its data between runs, and its port. */
public record EmbeddedDbConfig(Path dataDir, int port) {}
