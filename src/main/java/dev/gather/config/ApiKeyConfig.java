package dev.gather.config;

import java.util.Set;

/** A machine client's key, known only by the SHA-256 of its text (lower-case hex), and what it may do. */
public record ApiKeyConfig(String name, String sha256, Set<String> scopes) {}
