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
  DB_SSL_MODE("db.sslMode", "",
      "TLS to the database: disable, prefer, require, verify-ca or verify-full; empty: the URL's sslmode, else disable."),
  DB_TLS_CA_FILE("db.tls.caFile", "",
      "PEM certificate(s) of the CA that signed the database server's certificate (verify-ca, verify-full)."),
  DB_TLS_CERT_FILE("db.tls.certFile", "", "PEM client certificate gather shows the database (with db.tls.keyFile)."),
  DB_TLS_KEY_FILE("db.tls.keyFile", "", "PEM private key (unencrypted) of db.tls.certFile."),
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
  JOBS_FILES_DIR("jobs.filesDir", "data/files",
      "Directory that file-writing jobs (users.export) write to, served by GET /jobs/{id}/file; replicas that share "
          + "a database should share it too (the same path on one volume)."),
  JOBS_MAX_RESULT_BYTES("jobs.maxResultBytes", "1048576",
      "Largest result (its JSON, in UTF-8 bytes) a job may store; a larger one fails the job with an error saying "
          + "so. Large output belongs in a file (jobs.filesDir)."),
  JOBS_MAX_SNOOZES("jobs.maxSnoozes", "100",
      "Snoozes (JobContext.snooze) a job gets without spending an attempt; past it each snooze spends one, so a job "
          + "that snoozes forever still ends."),
  JOBS_MAX_WATCHERS("jobs.maxWatchers", "1000",
      "Most GET /jobs/{id}/events streams and POST /jobs Prefer: wait requests one process follows at once; beyond "
          + "it a stream gets 503 with Retry-After and a wait is not applied (202 at once)."),
  JOBS_MAX_STREAM_MS("jobs.maxStreamMs", "600000",
      "Longest a GET /jobs/{id}/events stream stays open; one still open then is ended (the client reconnects and "
          + "gets the job as it is then), so a stream on a job that never ends does not hold a jobs.maxWatchers slot "
          + "for good."),
  JOBS_MAX_WAIT_MS("jobs.maxWaitMs", "20000",
      "Longest wait a POST /jobs Prefer: wait=N may ask for; a longer one is cut to it (Preference-Applied says). "
          + "Must be below http.requestTimeoutMs (left unset, it is kept a second below it)."),
  RATE_LIMIT_REDIS_URL("rateLimit.redisUrl", "",
      "redis://host:6379 to keep rate-limit buckets in Redis, shared by every replica; empty keeps them in process."),
  RATE_LIMIT_FAIL_OPEN("rateLimit.failOpen", "true",
      "When Redis does not answer in time: let the request through (true, counted and logged) or answer 503 (false)."),
  RATE_LIMIT_REDIS_PREFIX("rateLimit.redisPrefix", "gather:rate:",
      "Prefix of the bucket keys in Redis; deployments sharing one Redis but not their limits use different ones."),
  RATE_LIMIT_REDIS_TIMEOUT_MS("rateLimit.redisTimeoutMs", "200", "Longest one rate-limit check waits for Redis."),
  RATE_LIMIT_LOCAL_MAX_BUCKETS("rateLimit.localMaxBuckets", "100000",
      "Most callers' buckets kept in process (least recently used dropped first)."),
  CACHE_MAX_BYTES("cache.maxBytes", "67108864",
      "Most bytes of cached source answers kept in memory, all sources together (least recently used dropped first)."),
  CACHE_REDIS_URL("cache.redisUrl", "",
      "redis://host:6379 to share cached source answers between replicas (a second level behind memory); empty: "
          + "memory only."),
  CACHE_REDIS_PREFIX("cache.redisPrefix", "gather:cache:",
      "Prefix of the cache's keys in Redis, and of its purge channel (the prefix and \"purge\"); deployments sharing one "
          + "Redis but not their answers use different ones."),
  CACHE_REDIS_TIMEOUT_MS("cache.redisTimeoutMs", "100",
      "Longest a cache read or write waits for Redis; past it (or with Redis down) the cache is memory only, for 1 s."),
  CORS_ORIGINS("cors.origins", "",
      "Origins whose pages may call the API (https://app.example), a list or comma-separated; empty: no CORS."),
  CORS_METHODS("cors.methods", "GET,HEAD,POST,PUT,PATCH,DELETE", "Methods a cross-origin page may use."),
  CORS_HEADERS("cors.headers", "Authorization,Content-Type,X-Api-Key,X-Request-Id",
      "Request headers a cross-origin page may send."),
  CORS_EXPOSED_HEADERS("cors.exposedHeaders",
      "X-Request-Id,X-Gather-Complete,X-Gather-Errors,Server-Timing,Retry-After,RateLimit,RateLimit-Policy,ETag",
      "Response headers a cross-origin page may read."),
  CORS_CREDENTIALS("cors.credentials", "false", "Whether a cross-origin page may send cookies and credentials."),
  CORS_MAX_AGE_SECONDS("cors.maxAgeSeconds", "600", "How long a browser may cache a preflight's answer."),
  AUTH_JWT_JWKS_URL("auth.jwt.jwksUrl", "",
      "URL of the identity provider's JSON Web Key Set; keys are fetched at start, on schedule and on an unknown kid."),
  AUTH_JWT_JWKS_REFRESH_MS("auth.jwt.jwksRefreshMs", "300000", "How often the JWKS is fetched again."),
  AUTH_JWT_JWKS_TIMEOUT_MS("auth.jwt.jwksTimeoutMs", "2000", "Timeout of one JWKS fetch."),
  AUTH_JWT_JWKS_REFETCH_MIN_MS("auth.jwt.jwksRefetchMinMs", "10000",
      "Least time between two fetches caused by tokens naming an unknown kid, so bad tokens cannot hammer the IdP."),
  AUTH_JWT_PUBLIC_KEYS("auth.jwt.publicKeys", "",
      "PEM public keys (RSA or EC) that sign tokens, as a list (or comma-separated in the environment)."),
  AUTH_JWT_SECRET("auth.jwt.secret", "", "HMAC secret (HS256/384/512 only), at least 32 bytes."),
  AUTH_JWT_ALGORITHMS("auth.jwt.algorithms", "",
      "Algorithms a token may use; empty: RS256 and ES256 with keys, HS256 with a secret. Never none; HS and "
          + "asymmetric ones never together."),
  AUTH_JWT_ISSUER("auth.jwt.issuer", "", "Required iss of every token (empty: not checked)."),
  AUTH_JWT_AUDIENCE("auth.jwt.audience", "", "A token's aud must name one of these (empty: not checked)."),
  AUTH_JWT_CLOCK_SKEW_SECONDS("auth.jwt.clockSkewSeconds", "30",
      "How far exp, nbf and iat may be off, for clocks that disagree."),
  LOG_FORMAT("log.format", "text",
      "text: lines for a terminal; json: one JSON object per line (time, level, logger, message, request_id, "
          + "trace_id, span_id; access lines add method, route, status, bytes, ms, client, aggregate) for a log "
          + "collector."),
  DNS_SERVERS("dns.servers", "",
      "DNS servers asked (in turn, until one answers) for upstreams with resolveEveryMs, e.g. [\"10.0.0.10\", "
          + "\"127.0.0.1:5353\"]: IP addresses, port 53 unless given; empty: the system's first name server "
          + "(/etc/resolv.conf)."),
  CONSOLE_ENABLED("console.enabled", "true",
      "Serve the operator console at /console (pages, its data under /console/api, live updates); off: no such "
          + "routes and no sampling."),
  CONSOLE_RECENT_REQUESTS("console.recentRequests", "50",
      "Requests of each aggregate kept for the console's waterfalls (a ring in memory; recorded only while a "
          + "console page is open)."),
  CONSOLE_MAX_VIEWERS("console.maxViewers", "8",
      "Console pages that may follow live updates at once (each is one server-sent event stream); more get 503."),
  CONSOLE_PUSH_MS("console.pushMs", "1000", "How often an open console page is sent fresh figures."),
  DNS_TIMEOUT_MS("dns.timeoutMs", "2000",
      "How long one DNS server has to answer a query of resolveEveryMs before the next is asked (or the last "
          + "known addresses are kept).");

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
