package dev.gather.jobs.run;

import dev.gather.config.JobsConfig;
import dev.gather.jobs.handler.JobPool;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.UUID;

/** The jobs config as the lanes use it, plus this process's lease-owner name. */
record JobSettings(JobsConfig config, String owner) {

  /** host/pid/random: readable in {@code GET /jobs/{id}} (worker) and unique even across restarts. */
  static JobSettings of(JobsConfig config) {
    String host;
    try {
      host = InetAddress.getLocalHost().getHostName();
    } catch (Exception e) {
      host = "unknown-host";
    }
    String owner = host + "/" + ManagementFactory.getRuntimeMXBean().getPid() + "/"
        + UUID.randomUUID().toString().substring(0, 8);
    return new JobSettings(config, owner);
  }

  int runners(JobPool pool) {
    return pool == JobPool.CPU ? config.cpuWorkers() : config.blockingWorkers();
  }

  int prefetch() {
    return config.prefetch();
  }

  int computeQueue() {
    return config.computeQueue();
  }

  long leaseMs() {
    return config.leaseMs();
  }

  int maxSnoozes() {
    return config.maxSnoozes();
  }

  Path filesDir() {
    return config.filesDir();
  }

  long maxResultBytes() {
    return config.maxResultBytes();
  }

  Backoff backoff() {
    return new Backoff(config.backoffMs(), config.backoffMaxMs());
  }
}
