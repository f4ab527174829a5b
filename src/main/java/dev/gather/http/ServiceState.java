package dev.gather.http;

import java.time.Duration;
import java.time.Instant;

/** What the process as a whole is doing, shared by all HTTP verticle instances for {@code /} and readiness. */
public final class ServiceState {
  private final Instant startedAt = Instant.now();
  private final int httpInstances;
  private volatile boolean deployed;
  private volatile boolean draining;

  public ServiceState(int httpInstances) {
    this.httpInstances = httpInstances;
  }

  public void deployed() {
    deployed = true;
  }

  /** From here on readiness fails, so load balancers stop sending new work while in-flight requests finish. */
  public void draining() {
    draining = true;
  }

  public boolean isDeployed() {
    return deployed;
  }

  public boolean isDraining() {
    return draining;
  }

  public int httpInstances() {
    return httpInstances;
  }

  public Duration uptime() {
    return Duration.between(startedAt, Instant.now());
  }

  /** The version this build of gather reports (as {@code GET /} does). */
  public String version() {
    return BuildInfo.VERSION;
  }
}
