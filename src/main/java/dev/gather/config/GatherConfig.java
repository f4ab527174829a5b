package dev.gather.config;

import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgConnectOptions;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/** The whole configuration, parsed once and validated; everything else in gather reads these records. */
public record GatherConfig(
    HttpConfig http,
    DbConfig db,
    ShutdownConfig shutdown,
    DemoConfig demo,
    JobsConfig jobs,
    Map<String, UpstreamConfig> upstreams,
    Map<String, String> queries,
    Map<String, AggregateConfig> aggregates,
    RateLimitConfig rateLimit,
    CorsConfig cors,
    AuthConfig auth,
    LogConfig log,
    DnsConfig dns,
    CacheStoreConfig cache,
    ConsoleConfig console) {

  /** Top-level sections holding named entries rather than fixed keys. */
  static final Set<String> NAMED_SECTIONS = Set.of("upstreams", "queries", "aggregates");
  /** Keys inside a fixed section that hold named entries (file only, no environment name). */
  static final Set<String> NAMED_KEYS = Set.of("rateLimit.routes", "jobs.kinds", "jobs.schedules");
  private static final Pattern ORIGIN = Pattern.compile("https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?|\\*");
  private static final Set<String> CORS_METHODS = Set.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS");

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]+");
  /** As JobHandlers names kinds. */
  private static final Pattern KIND = Pattern.compile("[A-Za-z0-9._-]{1,100}");
  private static final int MAX_PORT = 65_535;
  private static final int DAY_MS = 86_400_000;

  /**
   * Parses the merged configuration tree (file, then environment, then system properties already applied).
   *
   * @throws ConfigException naming every mistake
   */
  public static GatherConfig from(JsonObject tree) {
    ConfigReader in = new ConfigReader(tree);
    in.rejectUnknownKeys();

    int instances = in.integer(ConfigKey.HTTP_INSTANCES, 0, 1024);
    HttpConfig http = new HttpConfig(
        in.text(ConfigKey.HTTP_HOST),
        in.integer(ConfigKey.HTTP_PORT, 0, MAX_PORT),
        instances == 0 ? Runtime.getRuntime().availableProcessors() : instances,
        in.number(ConfigKey.HTTP_MAX_BODY_BYTES, 1, 1L << 30),
        in.number(ConfigKey.HTTP_REQUEST_TIMEOUT_MS, 1, DAY_MS),
        in.bool(ConfigKey.HTTP_ACCESS_LOG),
        in.number(ConfigKey.HTTP_HEADER_TIMEOUT_MS, 1, DAY_MS),
        in.number(ConfigKey.HTTP_IDLE_TIMEOUT_MS, 1, DAY_MS),
        in.number(ConfigKey.HTTP_BODY_TIMEOUT_MS, 1, DAY_MS),
        in.integer(ConfigKey.HTTP_MAX_CONNECTIONS, 1, 10_000_000));

    DbConfig db = new DbConfig(
        databaseUrl(in),
        in.integer(ConfigKey.DB_POOL_SIZE, 1, 1000),
        in.integer(ConfigKey.DB_MAX_WAIT_QUEUE, 0, 1_000_000),
        in.integer(ConfigKey.DB_PREPARED_STATEMENT_CACHE_MAX_SIZE, 0, 100_000),
        in.integer(ConfigKey.DB_CONNECT_TIMEOUT_MS, 1, DAY_MS),
        in.integer(ConfigKey.DB_QUERY_TIMEOUT_MS, 1, DAY_MS),
        new EmbeddedDbConfig(
            dataDir(in),
            in.integer(ConfigKey.DB_EMBEDDED_PORT, 0, MAX_PORT)),
        sslMode(in),
        databaseTls(in));
    databaseTlsAgreesWithSslMode(in, db);

    ShutdownConfig shutdown = new ShutdownConfig(in.number(ConfigKey.SHUTDOWN_DRAIN_MS, 0, DAY_MS));

    DemoConfig demo = new DemoConfig(in.bool(ConfigKey.DEMO_ENABLED), in.text(ConfigKey.DEMO_HOST),
        in.integer(ConfigKey.DEMO_PORT, 0, MAX_PORT));

    JobsConfig jobs = jobs(in, tree, http.requestTimeoutMs());
    if (jobs.computeTimeoutMs() >= http.requestTimeoutMs()) {
      in.problem(ConfigKey.JOBS_COMPUTE_TIMEOUT_MS.path() + " = " + jobs.computeTimeoutMs() + ": not below "
          + ConfigKey.HTTP_REQUEST_TIMEOUT_MS.path() + " (" + http.requestTimeoutMs() + "), so a long call would get the "
          + "request timeout's 503 instead of its own 504 and keep running; lower it or raise the other");
    }
    if (jobs.maxWaitMs() >= http.requestTimeoutMs() && in.isSet(ConfigKey.JOBS_MAX_WAIT_MS)) {
      in.problem(ConfigKey.JOBS_MAX_WAIT_MS.path() + " = " + jobs.maxWaitMs() + ": not below "
          + ConfigKey.HTTP_REQUEST_TIMEOUT_MS.path() + " (" + http.requestTimeoutMs() + "), so a POST /jobs with "
          + "Prefer: wait would get the request timeout's 503 instead of its 202; lower it or raise the other");
    }

    RateLimitConfig rateLimit = rateLimit(in, tree);
    CorsConfig cors = cors(in);
    LogConfig log = new LogConfig(LogConfig.format(in));
    DnsConfig dns = DnsConfig.parse(in);
    CacheStoreConfig cache = cacheStore(in);
    ConsoleConfig console = new ConsoleConfig(in.bool(ConfigKey.CONSOLE_ENABLED),
        in.integer(ConfigKey.CONSOLE_RECENT_REQUESTS, 1, 1000), in.integer(ConfigKey.CONSOLE_MAX_VIEWERS, 1, 1000),
        in.integer(ConfigKey.CONSOLE_PUSH_MS, 100, 60_000));

    List<String> problems = in.problems();
    AuthConfig auth = AuthConfig.parse(tree, in, problems);
    Map<String, UpstreamConfig> upstreams = new LinkedHashMap<>();
    named(tree, "upstreams", problems).forEach((name, json) ->
        upstreams.put(name, UpstreamConfig.parse(name, json, problems)));
    Map<String, String> queries = queries(tree, problems);
    Map<String, AggregateConfig> aggregates = new LinkedHashMap<>();
    named(tree, "aggregates", problems).forEach((name, json) ->
        aggregates.put(name, AggregateConfig.parse(name, json, upstreams, queries.keySet(), problems)));
    Map<String, String> paths = new LinkedHashMap<>();
    aggregates.values().forEach(a -> {
      String other = paths.putIfAbsent(a.path(), a.name());
      if (other != null) {
        problems.add("aggregates." + a.name() + ".path = \"" + a.path() + "\": already the path of aggregate " + other);
      }
    });

    aggregates.values().forEach(a -> {
      a.auth().ifPresent(policy -> auth.checkSatisfiable("aggregates." + a.name() + ".auth", policy, problems));
      if (!a.claimsRead().isEmpty() && a.auth().orElse(auth.policy(RouteGroup.AGGREGATES)).mode()
          != AuthPolicy.Mode.REQUIRED) {
        problems.add("aggregates." + a.name() + ": reads {jwt." + a.claimsRead().iterator().next() + "} but its "
            + "policy is not \"required\", so a caller might bring no token; set aggregates." + a.name()
            + ".auth.policy (or auth.routes.aggregates.policy) to \"required\"");
      }
    });

    if (!problems.isEmpty()) {
      throw new ConfigException(problems);
    }
    return new GatherConfig(http, db, shutdown, demo, jobs, Map.copyOf(upstreams), Map.copyOf(queries), Map.copyOf(aggregates),
        rateLimit, cors, auth, log, dns, cache, console);
  }

  private static CacheStoreConfig cacheStore(ConfigReader in) {
    String url = in.text(ConfigKey.CACHE_REDIS_URL);
    if (!url.isEmpty() && !url.matches("(redis|rediss|unix)://.+")) {
      in.problem(ConfigKey.CACHE_REDIS_URL.path() + " = \"" + withoutPassword(url) + "\": not a Redis URL; use "
          + "redis://host:6379 (rediss:// for TLS), or leave it empty to keep cached answers in memory only");
    }
    String prefix = in.text(ConfigKey.CACHE_REDIS_PREFIX);
    if (prefix.isEmpty() || prefix.length() > 100) {
      in.problem(ConfigKey.CACHE_REDIS_PREFIX.path() + " = \"" + prefix + "\": use 1 to 100 characters, e.g. \""
          + ConfigKey.CACHE_REDIS_PREFIX.defaultValue() + "\"");
    }
    return new CacheStoreConfig(url.isEmpty() ? Optional.empty() : Optional.of(url), prefix,
        in.number(ConfigKey.CACHE_REDIS_TIMEOUT_MS, 1, 60_000), in.number(ConfigKey.CACHE_MAX_BYTES, 1024, 1L << 40));
  }

  private static RateLimitConfig rateLimit(ConfigReader in, JsonObject tree) {
    String url = in.text(ConfigKey.RATE_LIMIT_REDIS_URL);
    if (!url.isEmpty() && !url.matches("(redis|rediss|unix)://.+")) {
      in.problem(ConfigKey.RATE_LIMIT_REDIS_URL.path() + " = \"" + withoutPassword(url) + "\": not a Redis URL; use "
          + "redis://host:6379 (rediss:// for TLS, redis://:password@host:6379/0 with a password), or leave it empty "
          + "to keep the buckets in process");
    }
    Map<RouteGroup, Rate> routes = new java.util.EnumMap<>(RouteGroup.class);
    Object section = tree.getValue("rateLimit") instanceof JsonObject rate ? rate.getValue("routes") : null;
    if (section != null && !(section instanceof JsonObject)) {
      in.problem("rateLimit.routes = " + section + ": expected an object of route groups, e.g. "
          + "{\"aggregates\": {\"perSecond\": 50, \"burst\": 100}}");
    } else if (section instanceof JsonObject groups) {
      for (String name : groups.fieldNames()) {
        String key = "rateLimit.routes." + name;
        Optional<RouteGroup> group = RouteGroup.byKey(name);
        if (group.isEmpty()) {
          in.problem(key + ": no such route group; groups are " + java.util.Arrays.stream(RouteGroup.values())
              .filter(g -> g != RouteGroup.HEALTH).map(RouteGroup::key).toList());
        } else if (group.get() == RouteGroup.HEALTH) {
          in.problem(key + ": health probes are never limited (an orchestrator must always reach them); remove it");
        } else if (groups.getValue(name) instanceof JsonObject json) {
          Rate.parse(key, json, in.problems()).ifPresent(rate -> routes.put(group.get(), rate));
        } else {
          in.problem(key + " = " + groups.getValue(name) + ": expected {\"perSecond\": 10, \"burst\": 20}");
        }
      }
    }
    String prefix = in.text(ConfigKey.RATE_LIMIT_REDIS_PREFIX);
    if (prefix.isEmpty() || prefix.length() > 100) {
      in.problem(ConfigKey.RATE_LIMIT_REDIS_PREFIX.path() + " = \"" + prefix + "\": use 1 to 100 characters, e.g. \""
          + ConfigKey.RATE_LIMIT_REDIS_PREFIX.defaultValue() + "\"");
    }
    return new RateLimitConfig(url.isEmpty() ? Optional.empty() : Optional.of(url), prefix,
        in.bool(ConfigKey.RATE_LIMIT_FAIL_OPEN),
        in.number(ConfigKey.RATE_LIMIT_REDIS_TIMEOUT_MS, 1, 60_000),
        in.number(ConfigKey.RATE_LIMIT_LOCAL_MAX_BUCKETS, 1, 100_000_000),
        Map.copyOf(routes));
  }

  private static CorsConfig cors(ConfigReader in) {
    List<String> origins = in.texts(ConfigKey.CORS_ORIGINS);
    for (String origin : origins) {
      if (!ORIGIN.matcher(origin).matches()) {
        in.problem(ConfigKey.CORS_ORIGINS.path() + ": \"" + origin + "\" is not an origin; write scheme, host and "
            + "port only, e.g. \"https://app.example\" or \"http://localhost:3000\" (no path, no trailing /), or \"*\"");
      }
    }
    List<String> methods = in.texts(ConfigKey.CORS_METHODS).stream()
        .map(m -> m.toUpperCase(java.util.Locale.ROOT)).toList();
    methods.stream().filter(m -> !CORS_METHODS.contains(m)).forEach(m -> in.problem(ConfigKey.CORS_METHODS.path()
        + ": \"" + m + "\" is not a method gather answers; use some of " + new java.util.TreeSet<>(CORS_METHODS)));
    boolean credentials = in.bool(ConfigKey.CORS_CREDENTIALS);
    if (credentials && origins.contains("*")) {
      in.problem(ConfigKey.CORS_CREDENTIALS.path() + " = true with " + ConfigKey.CORS_ORIGINS.path() + " \"*\": "
          + "browsers refuse credentials for any origin; list the origins, or set credentials to false");
    }
    return new CorsConfig(origins, methods, in.texts(ConfigKey.CORS_HEADERS), in.texts(ConfigKey.CORS_EXPOSED_HEADERS),
        credentials, in.integer(ConfigKey.CORS_MAX_AGE_SECONDS, 0, DAY_MS / 1000));
  }

  /** {@code requestTimeoutMs}: a jobs.maxWaitMs left to its default stays below it (the check above is for set ones). */
  private static JobsConfig jobs(ConfigReader in, JsonObject tree, long requestTimeoutMs) {
    int cpu = in.integer(ConfigKey.JOBS_CPU_WORKERS, 0, 1024);
    long backoffMs = in.number(ConfigKey.JOBS_BACKOFF_MS, 1, DAY_MS);
    long backoffMaxMs = in.number(ConfigKey.JOBS_BACKOFF_MAX_MS, 1, DAY_MS);
    if (backoffMaxMs < backoffMs) {
      in.problem(ConfigKey.JOBS_BACKOFF_MAX_MS.path() + " = " + backoffMaxMs + ": smaller than "
          + ConfigKey.JOBS_BACKOFF_MS.path() + " (" + backoffMs + "); raise it or lower the other");
    }
    long leaseMs = in.number(ConfigKey.JOBS_LEASE_MS, 300, DAY_MS);
    String filesDir = in.text(ConfigKey.JOBS_FILES_DIR);
    if (filesDir.isEmpty()) {
      in.problem(ConfigKey.JOBS_FILES_DIR.path() + " = \"\": empty; name a directory jobs may write to, e.g. \""
          + ConfigKey.JOBS_FILES_DIR.defaultValue() + "\"");
      filesDir = ConfigKey.JOBS_FILES_DIR.defaultValue();
    }
    return new JobsConfig(
        in.bool(ConfigKey.JOBS_ENABLED),
        cpu == 0 ? Runtime.getRuntime().availableProcessors() : cpu,
        in.integer(ConfigKey.JOBS_BLOCKING_WORKERS, 1, 1024),
        in.integer(ConfigKey.JOBS_COMPUTE_QUEUE, 0, 1_000_000),
        in.number(ConfigKey.JOBS_COMPUTE_TIMEOUT_MS, 1, DAY_MS),
        in.integer(ConfigKey.JOBS_PREFETCH, 0, 10_000),
        in.integer(ConfigKey.JOBS_DB_CONNECTIONS, 1, 100),
        in.number(ConfigKey.JOBS_POLL_MS, 10, DAY_MS),
        leaseMs,
        in.number(ConfigKey.JOBS_RESCUE_INTERVAL_MS, 10, DAY_MS),
        in.integer(ConfigKey.JOBS_MAX_ATTEMPTS, 1, 100),
        in.number(ConfigKey.JOBS_TIMEOUT_MS, 1, Integer.MAX_VALUE),
        backoffMs,
        backoffMaxMs,
        in.number(ConfigKey.JOBS_RETENTION_MS, 0, 365L * DAY_MS),
        Path.of(filesDir).toAbsolutePath().normalize(),
        // jsonb's own limit is 255 MB; far below it, a result this large is already a file's job.
        in.integer(ConfigKey.JOBS_MAX_RESULT_BYTES, 2, 64 * 1024 * 1024),
        jobKinds(in, tree),
        schedules(tree, in),
        in.integer(ConfigKey.JOBS_MAX_SNOOZES, 0, 1_000_000),
        in.integer(ConfigKey.JOBS_MAX_WATCHERS, 0, 1_000_000),
        in.number(ConfigKey.JOBS_MAX_STREAM_MS, 1, DAY_MS),
        in.isSet(ConfigKey.JOBS_MAX_WAIT_MS) ? in.number(ConfigKey.JOBS_MAX_WAIT_MS, 0, DAY_MS)
            : Math.min(in.number(ConfigKey.JOBS_MAX_WAIT_MS, 0, DAY_MS), Math.max(0, requestTimeoutMs - 1000)));
  }

  /** {@code jobs.kinds}: per-kind limits and pause, by kind name (whether such a kind exists is checked at start). */
  private static Map<String, JobKindConfig> jobKinds(ConfigReader in, JsonObject tree) {
    Map<String, JobKindConfig> kinds = new LinkedHashMap<>();
    Object section = tree.getValue("jobs") instanceof JsonObject jobs ? jobs.getValue("kinds") : null;
    if (section == null) {
      return kinds;
    }
    if (!(section instanceof JsonObject named)) {
      in.problem("jobs.kinds = " + section + ": expected an object of job kinds, e.g. "
          + "{\"sleep\": {\"concurrency\": {\"limit\": 2}}}");
      return kinds;
    }
    for (String kind : named.fieldNames()) {
      if (!KIND.matcher(kind).matches()) {
        in.problem("jobs.kinds." + kind + ": not a job kind name (1-100 letters, digits, '.', '-' or '_')");
      } else if (named.getValue(kind) instanceof JsonObject json) {
        kinds.put(kind, JobKindConfig.parse(kind, json, in.problems()));
      } else {
        in.problem("jobs.kinds." + kind + " = " + named.getValue(kind) + ": expected an object such as "
            + "{\"concurrency\": {\"limit\": 2}, \"rate\": {\"limit\": 10, \"periodMs\": 1000}, \"paused\": false}");
      }
    }
    return kinds;
  }

  /** {@code jobs.schedules}: named periodic jobs; whether each job's kind exists is checked at start. */
  private static Map<String, ScheduleConfig> schedules(JsonObject tree, ConfigReader in) {
    Object section = tree.getValue("jobs") instanceof JsonObject jobs ? jobs.getValue("schedules") : null;
    if (section == null) {
      return Map.of();
    }
    if (!(section instanceof JsonObject named)) {
      in.problem("jobs.schedules = " + section + ": expected an object of named schedules, e.g. {\"nightly-export\": "
          + "{\"cron\": \"0 3 * * *\", \"job\": {\"kind\": \"users.export\"}}}");
      return Map.of();
    }
    Map<String, ScheduleConfig> schedules = new LinkedHashMap<>();
    for (String name : named.fieldNames()) {
      String key = "jobs.schedules." + name;
      if (!(named.getValue(name) instanceof JsonObject json)) {
        in.problem(key + " = " + named.getValue(name) + ": expected an object with cron or everyMs and job");
        continue;
      }
      schedules.put(name, ScheduleConfig.parse(key, name, json, in.problems()));
    }
    return Map.copyOf(schedules);
  }

  private static Map<String, JsonObject> named(JsonObject tree, String section, List<String> problems) {
    Map<String, JsonObject> entries = new LinkedHashMap<>();
    Object value = tree.getValue(section);
    if (value == null) {
      return entries;
    }
    if (!(value instanceof JsonObject json)) {
      problems.add(section + ": expected an object of named entries {\"name\": {...}}");
      return entries;
    }
    for (String name : json.fieldNames()) {
      if (!NAME.matcher(name).matches()) {
        problems.add(section + "." + name + ": names may use letters, digits, - and _ only");
      } else if (json.getValue(name) instanceof JsonObject entry) {
        entries.put(name, entry);
      } else {
        problems.add(section + "." + name + ": expected an object {...}");
      }
    }
    return entries;
  }

  private static Map<String, String> queries(JsonObject tree, List<String> problems) {
    Map<String, String> queries = new LinkedHashMap<>();
    if (tree.getValue("queries") instanceof JsonObject json) {
      json.forEach(entry -> {
        if (entry.getValue() instanceof String sql && !sql.isBlank()) {
          queries.put(entry.getKey(), sql);
        } else {
          problems.add("queries." + entry.getKey() + ": expected the SQL text of the query, with $1, $2... parameters");
        }
      });
    } else if (tree.getValue("queries") != null) {
      problems.add("queries: expected an object {\"name\": \"SELECT ...\"}");
    }
    return queries;
  }

  private static Optional<String> databaseUrl(ConfigReader in) {
    String url = in.text(ConfigKey.DB_URL);
    if (url.isEmpty()) {
      return Optional.empty();
    }
    try {
      PgConnectOptions.fromUri(url);
      return Optional.of(url);
    } catch (RuntimeException e) {
      in.problem(ConfigKey.DB_URL.path() + " = \"" + withoutPassword(url) + "\": not a PostgreSQL URL ("
          + withoutPassword(String.valueOf(e.getMessage())) + "); use postgresql://user:password@host:5432/database, or leave it empty for the "
          + "embedded PostgreSQL");
      return Optional.empty();
    }
  }

  private static final List<String> SSL_MODES =
      List.of("disable", "allow", "prefer", "require", "verify-ca", "verify-full");

  private static Optional<String> sslMode(ConfigReader in) {
    String mode = in.text(ConfigKey.DB_SSL_MODE).toLowerCase(java.util.Locale.ROOT);
    if (mode.isEmpty()) {
      return Optional.empty();
    }
    if (!SSL_MODES.contains(mode)) {
      in.problem(ConfigKey.DB_SSL_MODE.path() + " = \"" + mode + "\": not an sslmode; use one of " + SSL_MODES
          + " (verify-full checks the CA and the host name)");
      return Optional.empty();
    }
    return Optional.of(mode);
  }

  /** The database's CA and client certificate, checked like an upstream's (the files read and parsed now). */
  private static TlsConfig databaseTls(ConfigReader in) {
    Optional<String> ca = nonEmpty(in.text(ConfigKey.DB_TLS_CA_FILE));
    Optional<String> cert = nonEmpty(in.text(ConfigKey.DB_TLS_CERT_FILE));
    Optional<String> key = nonEmpty(in.text(ConfigKey.DB_TLS_KEY_FILE));
    Fields fields = new Fields("db.tls", new JsonObject(), in.problems());
    return TlsConfig.of(fields, ca, cert, key, true, Optional.empty());
  }

  /**
   * The pg client refuses verify-ca and verify-full without a CA to check against (it has no libpq-style
   * ~/.postgresql/root.crt), and ignores files when TLS is off: both would otherwise surface only when the first
   * connection is tried, or never.
   */
  private static void databaseTlsAgreesWithSslMode(ConfigReader in, DbConfig db) {
    String mode = db.sslMode().orElseGet(() -> db.url().map(GatherConfig::urlSslMode).orElse("disable"));
    String source = db.sslMode().isPresent() ? ConfigKey.DB_SSL_MODE.path() + " = \"" + mode + "\""
        : "the sslmode of db.url (" + mode + ")";
    if (mode.startsWith("verify-") && db.tls().caFile().isEmpty()) {
      in.problem(ConfigKey.DB_TLS_CA_FILE.path() + ": missing; " + source + " checks the database's certificate "
          + "against a CA: name the PEM certificate of the CA that signed it, or use db.sslMode require");
    }
    if (mode.equals("disable") && db.tls().configured()) {
      in.problem(ConfigKey.DB_SSL_MODE.path() + ": db.tls files are given, but " + (db.url().isEmpty()
          ? "the embedded PostgreSQL speaks no TLS" : source + " turns TLS off")
          + "; set db.sslMode to require, verify-ca or verify-full, or remove db.tls");
    }
  }

  private static String urlSslMode(String url) {
    try {
      io.vertx.pgclient.SslMode mode = PgConnectOptions.fromUri(url).getSslMode();
      return mode == null ? "disable" : mode.value;
    } catch (RuntimeException e) {
      return "disable"; // db.url is named on its own
    }
  }

  private static Optional<String> nonEmpty(String text) {
    return text.isEmpty() ? Optional.empty() : Optional.of(text);
  }

  private static Path dataDir(ConfigReader in) {
    String dir = in.text(ConfigKey.DB_EMBEDDED_DATA_DIR);
    if (dir.isEmpty()) {
      in.problem(ConfigKey.DB_EMBEDDED_DATA_DIR.path() + " = \"\": empty; name a directory the embedded PostgreSQL "
          + "may own, e.g. \"" + ConfigKey.DB_EMBEDDED_DATA_DIR.defaultValue() + "\"");
      return Path.of(ConfigKey.DB_EMBEDDED_DATA_DIR.defaultValue()).toAbsolutePath();
    }
    return Path.of(dir).toAbsolutePath().normalize();
  }

  /** Database URLs carry passwords; error messages and logs must not. */
  public static String withoutPassword(String url) {
    return url.replaceAll("(://[^:/@]*:)[^@/]*@", "$1***@").replaceAll("(?i)(password=)[^&]*", "$1***");
  }
}
