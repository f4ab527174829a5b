package dev.gather.config;

import java.util.Locale;

/**
 * Every scalar setting gather reads, with the one default and description that the README table repeats.
 * Environment and system-property names are derived from the dotted path so that the three layers can never
 * disagree about spelling: {@code db.poolSize} is {@code GATHER_DB_POOL_SIZE} and {@code -Dgather.db.poolSize}.
 */
public enum ConfigKey {
  HTTP_HOST("http.host", "0.0.0.0", "Interface the HTTP server binds to."),
  HTTP_PORT("http.port", "8080", "TCP port of the HTTP API (1-65535, or 0 for any free port)."),
  HTTP_INSTANCES("http.instances", "0", "HTTP verticle instances; 0 means one per available processor."),
  HTTP_MAX_BODY_BYTES("http.maxBodyBytes", "1048576", "Largest request body accepted; bigger bodies get 413."),
  HTTP_REQUEST_TIMEOUT_MS("http.requestTimeoutMs", "30000",
      "A request still unanswered after this long gets 503 (streamed exports are exempt once they start)."),
  HTTP_ACCESS_LOG("http.accessLog", "true",
      "Write one access-log line per request (logger gather.access); off saves CPU at high request rates."),
  HTTP_HEADER_TIMEOUT_MS("http.headerTimeoutMs", "10000",
      "A request head (request line and headers) not complete this long after its first byte gets 408 and the "
          + "connection is closed."),
  HTTP_IDLE_TIMEOUT_MS("http.idleTimeoutMs", "60000",
      "A connection with no request under way for this long is closed (keep below your load balancer's idle timeout)."),
  HTTP_BODY_TIMEOUT_MS("http.bodyTimeoutMs", "30000",
      "A request body that sends nothing for this long (while gather is reading) gets 408 and the connection is "
          + "closed."),
  HTTP_MAX_CONNECTIONS("http.maxConnections", "10000",
      "Open client connections allowed; beyond it a new connection is closed at once (metric "
          + "gather_http_connections_refused_total)."),
  DB_URL("db.url", "",
      "PostgreSQL URL (postgresql://user:password@host:5432/db). Empty: start the embedded PostgreSQL."),
  DB_POOL_SIZE("db.poolSize", "8", "Connections in the reactive pool."),
  DB_MAX_WAIT_QUEUE("db.maxWaitQueue", "1024",
      "Queries allowed to wait for a free connection; beyond it requests get 503."),
  DB_PREPARED_STATEMENT_CACHE_MAX_SIZE("db.preparedStatementCacheMaxSize", "256",
      "Prepared statements cached per connection (0 disables the cache)."),
  DB_CONNECT_TIMEOUT_MS("db.connectTimeoutMs", "5000", "Timeout to open a database connection or wait for one."),
  DB_QUERY_TIMEOUT_MS("db.queryTimeoutMs", "5000",
      "Longest a query may run (PostgreSQL statement_timeout) and an API call may wait for the database."),
  DB_EMBEDDED_DATA_DIR("db.embedded.dataDir", "data/postgres",
      "Data directory of the embedded PostgreSQL; it survives restarts."),
  DB_EMBEDDED_PORT("db.embedded.port", "0", "Port of the embedded PostgreSQL on 127.0.0.1; 0 picks a free one."),
  DEMO_ENABLED("demo.enabled", "false",
      "Run the demo upstream (users, posts, delay, status, hang) so aggregates work offline."),
  DEMO_HOST("demo.host", "127.0.0.1", "Interface the demo upstream binds to."),
  DEMO_PORT("demo.port", "8090", "Port of the demo upstream."),
  SHUTDOWN_DRAIN_MS("shutdown.drainMs", "10000",
      "On SIGTERM, how long in-flight requests and running jobs may take to finish before they are cut."),
  JOBS_ENABLED("jobs.enabled", "true",
      "Run job workers in this process: claim durable jobs and serve POST /compute. The jobs API works either way."),
  JOBS_CPU_WORKERS("jobs.cpuWorkers", "0",
      "Threads (worker verticles) of the CPU pool; 0 means one per available processor."),
  JOBS_BLOCKING_WORKERS("jobs.blockingWorkers", "16", "Threads (worker verticles) of the blocking pool."),
  JOBS_COMPUTE_QUEUE("jobs.computeQueue", "64",
      "POST /compute calls allowed to wait for a busy pool; beyond it they get 503 with Retry-After."),
  JOBS_COMPUTE_TIMEOUT_MS("jobs.computeTimeoutMs", "10000",
      "Default and largest timeout of a POST /compute call (504 when it passes); ?timeoutMs= may ask for less. "
          + "Must be below http.requestTimeoutMs."),
  JOBS_PREFETCH("jobs.prefetch", "256",
      "Most durable jobs a pool claims beyond its idle workers; it claims only what its workers should finish within "
          + "50 ms at recent run times, so short jobs need few claim queries and long ones are not hoarded."),
  JOBS_DB_CONNECTIONS("jobs.dbConnections", "2",
      "Connections of the pool that claims, finishes and renews jobs, apart from db.poolSize so that a burst of API "
          + "calls cannot starve the workers."),
  JOBS_POLL_MS("jobs.pollMs", "1000",
      "How often idle workers look for due jobs without a notification (runAt jobs, missed NOTIFYs)."),
  JOBS_LEASE_MS("jobs.leaseMs", "30000",
      "How long a claim holds without a heartbeat; heartbeats renew it every third of this. A killed process's "
          + "jobs are rescued once it passes."),
  JOBS_RESCUE_INTERVAL_MS("jobs.rescueIntervalMs", "5000", "How often expired leases are looked for and requeued."),
  JOBS_MAX_ATTEMPTS("jobs.maxAttempts", "3", "Default attempts of a job (a job may ask for 1-100)."),
  JOBS_TIMEOUT_MS("jobs.timeoutMs", "300000", "Default run time of one attempt before it is cancelled as timed out."),
  JOBS_BACKOFF_MS("jobs.backoffMs", "1000",
      "First retry delay; it doubles per attempt up to jobs.backoffMaxMs, each delay random between half and all of it."),
  JOBS_BACKOFF_MAX_MS("jobs.backoffMaxMs", "600000", "Longest retry delay."),
  JOBS_RETENTION_MS("jobs.retentionMs", "86400000",
      "How long succeeded, failed and cancelled jobs (and their idempotency keys) are kept before deletion."),
  JOBS_FILES_DIR("jobs.filesDir", "data/files", "Directory that file-writing jobs (users.export) write to.");

  private final String path;
  private final String defaultValue;
  private final String description;

  ConfigKey(String path, String defaultValue, String description) {
    this.path = path;
    this.defaultValue = defaultValue;
    this.description = description;
  }

  public String path() {
    return path;
  }

  public String defaultValue() {
    return defaultValue;
  }

  public String description() {
    return description;
  }

  public String envName() {
    return "GATHER_" + path.replace(".", "_").replaceAll("([a-z0-9])([A-Z])", "$1_$2").toUpperCase(Locale.ROOT);
  }

  public String propertyName() {
    return "gather." + path;
  }

  /** The section ({@code db.embedded}) and the leaf ({@code dataDir}) of the path. */
  String section() {
    return path.substring(0, path.lastIndexOf('.'));
  }

  String leaf() {
    return path.substring(path.lastIndexOf('.') + 1);
  }
}
