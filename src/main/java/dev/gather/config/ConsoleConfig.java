package dev.gather.config;

/**
 * The operator console: whether it is served, how many requests of each aggregate it keeps for its waterfalls,
 * how many pages may follow it live at once, and how often they are sent fresh figures.
 */
public record ConsoleConfig(boolean enabled, int recentRequests, int maxViewers, int pushMs) {
}
