package dev.gather.db;

/** What the readiness probe needs to know about the database. */
public record DbHealth(boolean reachable, boolean migrated, String detail) {
  public boolean ready() {
    return reachable && migrated;
  }
}
