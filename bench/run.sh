#!/usr/bin/env bash
# gather against its floor: the same work done by gather and by a bare Vert.x 5 server (bench/Floor.java), in one
# run, against one upstream and one database, on this machine. From the repository root:
#
#   bench/run.sh                                        (every scenario: about 10 minutes)
#   DURATION=5 WARMUP=3 SCENARIOS="hello three0" bench/run.sh                   (a quick look)
#
# The report is Markdown, on stdout and in bench/results-<date>-<LABEL>.md; progress goes to stderr, and every log
# and raw wrk output stays in a temporary directory named at the end.
#
# What it starts: a fresh database on the local PostgreSQL (gather_bench_<time>_<pid>, dropped at the end) seeded
# with 10,000 users; the upstream (nginx with the echo module, one process: /delay/0 answers at once, /delay/0.05
# after 50 ms; or UPSTREAM=demo for gather's own demo upstream in its own JVM), the same for gather and the floor;
# gather as the README runs it (bin/gather when it exists, else java -jar target/gather.jar) with
# bench/gather-bench.json; and the floor, `java -cp target/gather.jar bench/Floor.java`.
#
# Scenarios (SCENARIOS, in this order by default; wrk -t$THREADS, a warm-up run thrown away before each measured one):
#   hello    GET / on both                                                            64 connections
#   three0   3 upstream calls of /delay/0 concurrently, bodies merged into one JSON   64 connections
#   three50  the same with /delay/0.05; the ideal is 256 / 50 ms = 5,120 req/s        256 connections
#   row      one user by id: gather through a SQL source and through GET /users/{id}; the floor through a pooled
#            pipelined client (PgBuilder.client()) and through a plain Pool; then pgbench on the same query with
#            as many connections, or those free (PostgreSQL's own ceiling)            64 connections
#   rows     10,000 users as JSON: gather through a SQL source and GET /users/export (NDJSON from a cursor); the
#            floor from one prepared query through its Pool                           8 connections
#   edge     gather only: the 3-call aggregate open, behind JWT verification (an RS256 token made here with
#            openssl, sent on every request), and behind a rate limit it never reaches; the ratios are what the
#            edge costs                                                               64 connections
#   observed gather only, each in a fresh gather process started like the main one, after its own warm-up: the
#            3-call aggregate plain, traced (OpenTelemetry, OTLP/HTTP to a sink in nginx) at 100 % and 1 %
#            sampling, and with JSON logs; the ratios are what seeing the calls costs (nginx only) 64 connections
#   console  gather only, fresh processes as for observed: the 3-call aggregate with console.enabled false, then
#            true with no console page open, twice each, alternating; the ratio is what the console costs when
#            nobody looks (target ≤ 1.05×)                                                 64 connections
#   shaped   gather only: 3 calls of /profile (a 0.7 KB user record) as they come, and the same 3 calls with a
#            `select` per source and a JSON-template `shape` (JMESPath); the ratio is what shaping costs 64 connections
#   cached   gather only: the 3-call aggregate uncached, then with its 3 sources cached (ttlMs 60 s: after the first
#            request, no call); the target is ≥ 3× the uncached requests/s                   64 connections
#   stale    gather only (nginx only): 3 sources cached with ttlMs 0 and staleIfErrorMs 1 h on an upstream of their
#            own (a second nginx), warmed, then that nginx stopped: every answer is the stale one (connection
#            refused, then the upstream's open circuit breaker); the target is 0 errors      64 connections
#   streamed gather only, bench/FirstEvent.java (java's HttpClient, one request at a time per worker): a 3-source
#            aggregate whose third source takes 500 ms (/delay/0.5), asked for as NDJSON, timed to its first event;
#            against the same two fast sources alone as plain JSON, timed to their whole answer. Target: the first
#            event's p50 within 5 ms of the fast answer's                                  16 workers
# For each measured run: requests/s, p50 and p99 (wrk's, from bench/percentiles.lua) and the CPU of the server
# process per request (utime + stime from /proc/<pid>/stat over the run ÷ requests) with the JIT compiler threads'
# part of it, and the ratio gather / floor of that CPU (also without the JIT's part). After the last scenario:
# gather's resident memory (VmRSS now, VmHWM the peak) with the same process.
#
# Knobs (environment): DURATION (measured seconds per run, default 20), WARMUP (seconds of the warm-up run before
# each, default 15; OBSERVED_WARMUP, default WARMUP, replaces it for the fresh processes of observed and console), SCENARIOS (default "hello three0 three50 row rows shaped edge observed console cached stale streamed"), THREADS (wrk and pgbench threads, default
# 1), LABEL (the report's file name, default the short commit), UPSTREAM (nginx or demo, default nginx),
# BENCH_DB_URL (the PostgreSQL server, without a database; default postgresql://postgres@127.0.0.1:5432; psql and
# pgbench must reach it too), JAR (default target/gather.jar, built if missing), JAVA_OPTS (gather's JVM, given to
# bin/gather as it is; unset leaves the launcher's defaults), FLOOR_JAVA_OPTS (the floor's JVM options; default:
# the very options gather's JVM runs with, read from /proc, so that heap and GC are alike on both sides),
# FLOOR_POOL_SIZE (the floor's database connections per client kind, default GATHER_DB_POOL_SIZE or 8 as gather's
# db.poolSize), ROW_ID (the user the one-row scenarios read, default 42), GATHER_PORT / FLOOR_PORT / UPSTREAM_PORT (default: the
# first free ports from 18080 / 18090 / 19090), KEEP_DB=1, NO_REPORT_FILE=1 (stdout only). Any GATHER_* variable
# reaches gather (e.g. GATHER_HTTP_ACCESS_LOG=false); GATHER_DB_URL, GATHER_HTTP_PORT and GATHER_DEMO_ENABLED are
# set here. Missing tools (wrk, nginx and its echo module, pgbench) are installed with apt-get when run as root.
#
# Loopback only; every loop is bounded; only the processes this script started are stopped, by pid.
set -euo pipefail
cd "$(dirname "$0")/.."

JAR=${JAR:-target/gather.jar}
DURATION=${DURATION:-20}
WARMUP=${WARMUP:-15}
THREADS=${THREADS:-1}
UPSTREAM=${UPSTREAM:-nginx}
ROW_ID=${ROW_ID:-42}
FLOOR_POOL_SIZE=${FLOOR_POOL_SIZE:-${GATHER_DB_POOL_SIZE:-8}}
DB_BASE=${BENCH_DB_URL:-postgresql://postgres@127.0.0.1:5432}
DB_BASE=${DB_BASE%/}
read -r -a SCENARIO_LIST <<< "${SCENARIOS:-hello three0 three50 row rows shaped edge observed console cached stale streamed}"
for n in "$DURATION" "$WARMUP" "$THREADS" "$ROW_ID" "$FLOOR_POOL_SIZE"; do
  [[ $n =~ ^[0-9]+$ ]] || { echo "DURATION, WARMUP, THREADS, ROW_ID and FLOOR_POOL_SIZE must be numbers, not $n" >&2; exit 2; }
done
[ "$DURATION" -ge 1 ] && [ "$THREADS" -ge 1 ] && [ "$ROW_ID" -ge 1 ] && [ "$ROW_ID" -le 10000 ] ||
  { echo "DURATION and THREADS must be at least 1, ROW_ID 1 to 10000" >&2; exit 2; }
for scenario in "${SCENARIO_LIST[@]}"; do # fail before starting anything, not after minutes of load
  case $scenario in hello|three0|three50|row|rows|shaped|edge|observed|console|cached|stale|streamed) ;; *) echo "unknown scenario $scenario (use hello three0 three50 row rows shaped edge observed console cached stale streamed)" >&2; exit 2 ;; esac
done
case $UPSTREAM in nginx|demo) ;; *) echo "UPSTREAM must be nginx or demo, not $UPSTREAM" >&2; exit 2 ;; esac
LABEL=${LABEL:-$(git rev-parse --short HEAD 2>/dev/null || echo run)}
[[ $LABEL =~ ^[A-Za-z0-9._-]+$ ]] || { echo "LABEL may hold letters, digits, '.', '_' and '-' only" >&2; exit 2; }

# ---- tools: install what is missing from Debian when we may, else say what is needed ----
NGINX_ECHO=/usr/lib/nginx/modules/ngx_http_echo_module.so
install_packages() { # packages...
  if [ "$(id -u)" = 0 ] && command -v apt-get > /dev/null; then
    echo "installing $* (apt-get) ..." >&2
    apt-get install -y -q "$@" > /dev/null 2>&1 || { apt-get update -q > /dev/null 2>&1 && apt-get install -y -q "$@" > /dev/null; }
  else
    echo "bench/run.sh needs the Debian packages $* (apt-get install $*)" >&2; exit 2
  fi
}
command -v wrk > /dev/null || install_packages wrk
command -v pgbench > /dev/null || install_packages postgresql-client
if [ "$UPSTREAM" = nginx ] && { ! command -v nginx > /dev/null || [ ! -f "$NGINX_ECHO" ]; }; then
  install_packages nginx libnginx-mod-http-echo
fi
for tool in java wrk curl jq psql pgbench awk git openssl; do
  command -v "$tool" > /dev/null || { echo "bench/run.sh needs $tool" >&2; exit 2; }
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/gather-bench.XXXXXX")
PIDS=()
DB="gather_bench_$(date +%s)_$$"
DB_CREATED=0
psql_admin() { psql "$DB_BASE/postgres" -X -q -v ON_ERROR_STOP=1 -At "$@"; }
source bench/lib.sh # free_port, wait_ready, busy_ticks, stop_pids (the script runs from the repository root)
cleanup() {
  stop_pids 10 "${PIDS[@]}"
  if [ "$DB_CREATED" = 1 ]; then
    if [ "${KEEP_DB:-0}" = 1 ]; then echo "database kept: $DB" >&2
    else psql_admin -c "DROP DATABASE IF EXISTS $DB" 2>/dev/null || echo "could not drop $DB" >&2; fi
  fi
  echo "Logs and raw output kept in $WORK" >&2
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ ! -f "$JAR" ]; then
  echo "building $JAR ..." >&2
  ./mvnw -B -q package -DskipTests >&2
fi

# Load from other processes skews everything on a small machine: measure it before starting ours.
before=$(busy_ticks); sleep 2
IDLE_CHECK=$(awk -v b="$before" -v a="$(busy_ticks)" -v hz="$(getconf CLK_TCK)" 'BEGIN{printf "%.2f", (a - b) / hz / 2}')
HZ=$(getconf CLK_TCK)

GATHER_PORT=${GATHER_PORT:-$(free_port 18080)}
FLOOR_PORT=${FLOOR_PORT:-$(free_port 18090)}
UPSTREAM_PORT=${UPSTREAM_PORT:-$(free_port 19090)}
# The stale scenario's own upstream, which it stops: a port apart from the others.
STALE_PORT=$(free_port $((UPSTREAM_PORT + 10)))
# Nothing listens yet, so two searches could land on one port when a range is crowded.
[ "$FLOOR_PORT" != "$GATHER_PORT" ] || FLOOR_PORT=$(free_port $((GATHER_PORT + 1)))
while [ "$UPSTREAM_PORT" = "$GATHER_PORT" ] || [ "$UPSTREAM_PORT" = "$FLOOR_PORT" ]; do
  UPSTREAM_PORT=$(free_port $((UPSTREAM_PORT + 1)))
done
GATHER=http://127.0.0.1:$GATHER_PORT
FLOOR=http://127.0.0.1:$FLOOR_PORT

# ---- the upstream, the same process for gather and for the floor ----
# What the shaped scenario reads: a user record of the size a profile service answers (0.7 KB).
PROFILE_JSON='{"id":42,"name":"Ada Ritchie","email":"ada@example.com","plan":"pro","createdAt":"2024-03-01T10:00:00Z","address":{"street":"1 Loop Road","city":"Lyon","zip":"69001","country":"FR"},"friendIds":[2,3,5,8,13],"settings":{"theme":"dark","language":"fr","notifications":{"email":true,"push":false,"sms":false}},"tags":["beta","early","admin"],"stats":{"posts":128,"followers":2048,"following":311},"links":[{"rel":"self","href":"/users/42"},{"rel":"posts","href":"/users/42/posts"},{"rel":"friends","href":"/users/42/friends"}],"bio":"Writes compilers and long letters; answers slowly but in full."}'
if [ "$UPSTREAM" = nginx ]; then
  mkdir -p "$WORK/nginx"
  # One process (no master), so that its pid is the one doing the work; echo_sleep is a timer, not a blocking sleep.
  cat > "$WORK/nginx.conf" <<NGINX
load_module $NGINX_ECHO;
daemon off;
master_process off;
worker_processes 1;
worker_rlimit_nofile 16384;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
events { worker_connections 8192; }
http {
  access_log off;
  keepalive_requests 10000000;
  keepalive_timeout 300s;
  client_body_temp_path $WORK/nginx/body;
  proxy_temp_path $WORK/nginx/proxy;
  fastcgi_temp_path $WORK/nginx/fastcgi;
  uwsgi_temp_path $WORK/nginx/uwsgi;
  scgi_temp_path $WORK/nginx/scgi;
  server {
    listen 127.0.0.1:$UPSTREAM_PORT backlog=4096;
    default_type application/json;
    location = /delay/0 { return 200 '{"delayedMs":0}'; }
    location = /delay/0.05 { echo_sleep 0.05; echo -n '{"delayedMs":50}'; }
    location = /delay/0.5 { echo_sleep 0.5; echo -n '{"delayedMs":500}'; }
    location = /profile { return 200 '$PROFILE_JSON'; }
    # The observed scenario's OTLP/HTTP sink: every export accepted (an empty ExportTraceServiceResponse).
    location = /v1/traces { default_type application/x-protobuf; return 200 ''; }
    location / { return 404 '{"title":"no such path in the bench upstream"}'; }
  }
}
NGINX
  nginx -p "$WORK/nginx" -c "$WORK/nginx.conf" > "$WORK/upstream.log" 2>&1 &
  UPSTREAM_DESC="nginx $(nginx -v 2>&1 | sed 's#.*/##'), one process, echo module for /delay/0.05"
else
  java -jar "$JAR" demo --host 127.0.0.1 --port "$UPSTREAM_PORT" --instances 1 > "$WORK/upstream.log" 2>&1 &
  UPSTREAM_DESC="gather's demo upstream (java -jar $JAR demo --instances 1), its own JVM"
fi
UPSTREAM_PID=$!; PIDS+=("$UPSTREAM_PID")
wait_ready "http://127.0.0.1:$UPSTREAM_PORT/delay/0" 60 "$UPSTREAM_PID"

# ---- the database: fresh, migrated by gather, then seeded ----
psql_admin -c "CREATE DATABASE $DB"
DB_CREATED=1
q() { psql "$DB_BASE/$DB" -X -q -v ON_ERROR_STOP=1 -At "$@"; }

# The upstream URLs live only in the config file, so the port is written into a copy.
# The edge scenario's token: an RSA key made for this run; gather gets its public half, wrk a token signed with it.
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$WORK/jwt-key.pem" 2> /dev/null
openssl pkey -in "$WORK/jwt-key.pem" -pubout -out "$WORK/jwt-pub.pem"
b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
JWT_SIGNED="$(printf '{"alg":"RS256","typ":"JWT"}' | b64url).$(printf '{"sub":"bench","scope":"bench","exp":%d}' \
  "$(( $(date +%s) + 86400 ))" | b64url)"
BENCH_TOKEN="$JWT_SIGNED.$(printf '%s' "$JWT_SIGNED" | openssl dgst -sha256 -sign "$WORK/jwt-key.pem" -binary | b64url)"
jq --arg url "http://127.0.0.1:$UPSTREAM_PORT" --arg staleurl "http://127.0.0.1:$STALE_PORT" --rawfile key "$WORK/jwt-pub.pem" \
  '.upstreams |= map_values(.url = $url) | .upstreams.stale.url = $staleurl | .auth.jwt.publicKeys = [$key]' bench/gather-bench.json \
  > "$WORK/gather-bench.json"

# The JVM behind a pid: the launcher may be a script that runs java as a child rather than exec-ing it.
jvm_of() {
  local pid=$1
  for _ in 1 2 3 4; do
    [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = java ] && { echo "$pid"; return 0; }
    pid=$(pgrep -P "$pid" | head -1 || true)
    [ -n "$pid" ] || break
  done
  echo "$1"
}

export GATHER_DEMO_ENABLED=false
if [ -x bin/gather ]; then
  if [ -n "${JAVA_OPTS+set}" ]; then opts="JAVA_OPTS='$JAVA_OPTS'"; else opts="JAVA_OPTS unset: the launcher's defaults"; fi
  GATHER_HOW="bin/gather --conf bench/gather-bench.json ($opts)"
  GATHER_JAR=$(realpath "$JAR") GATHER_DB_URL="$DB_BASE/$DB" GATHER_HTTP_PORT=$GATHER_PORT bin/gather --conf "$WORK/gather-bench.json" > "$WORK/gather.log" 2>&1 &
else
  GATHER_HOW="java ${JAVA_OPTS:-}${JAVA_OPTS:+ }-jar $JAR --conf bench/gather-bench.json (no bin/gather)"
  # shellcheck disable=SC2086  # JAVA_OPTS is a list of options
  GATHER_DB_URL="$DB_BASE/$DB" GATHER_HTTP_PORT=$GATHER_PORT java ${JAVA_OPTS:-} -jar "$JAR" --conf "$WORK/gather-bench.json" \
    > "$WORK/gather.log" 2>&1 &
fi
GATHER_LAUNCHED=$!; PIDS+=("$GATHER_LAUNCHED")
wait_ready "$GATHER/health/ready" 120 "$GATHER_LAUNCHED"
GATHER_PID=$(jvm_of "$GATHER_LAUNCHED")
[ "$GATHER_PID" = "$GATHER_LAUNCHED" ] || PIDS+=("$GATHER_PID") # a launcher that does not exec: stop its JVM too
ACCESS_LOG_STATE=$([ "${GATHER_HTTP_ACCESS_LOG:-true}" = false ] && echo off || echo "on (gather's default)")

q -c "INSERT INTO users (email, name) SELECT 'user' || i || '@example.com', 'User ' || i FROM generate_series(1, 10000) i"
q -c "ANALYZE users" # autovacuum may be off (it is on this machine's CI PostgreSQL): plans need statistics
[ "$(q -c 'SELECT count(*) FROM users')" = 10000 ] || { echo "seeding users failed" >&2; exit 1; }
GATHER_RSS_START=$(awk '/^VmRSS/{printf "%d", $2 / 1024}' "/proc/$GATHER_PID/status")
ROW_USER_ID=$(q -c "SELECT id FROM users ORDER BY id OFFSET $((ROW_ID - 1)) LIMIT 1")

# The floor's JVM gets gather's JVM options (those before -jar / -cp on its command line), unless FLOOR_JAVA_OPTS is
# given: the GC and the heap size change the CPU per request, and the ratio should show the code, not the flags.
FLOOR_OPTS=()
if [ -n "${FLOOR_JAVA_OPTS+set}" ]; then
  read -r -a FLOOR_OPTS <<< "$FLOOR_JAVA_OPTS"
else
  mapfile -d '' -t gather_argv < "/proc/$GATHER_PID/cmdline"
  for arg in "${gather_argv[@]:1}"; do
    case $arg in -jar|-cp|-classpath|--class-path) break ;; esac
    FLOOR_OPTS+=("$arg")
  done
fi
java "${FLOOR_OPTS[@]}" -cp "$JAR" bench/Floor.java --port "$FLOOR_PORT" --upstream "http://127.0.0.1:$UPSTREAM_PORT" \
  --db "$DB_BASE/$DB" --pool-size "$FLOOR_POOL_SIZE" --instances "${GATHER_HTTP_INSTANCES:-0}" > "$WORK/floor.log" 2>&1 &
FLOOR_PID=$!; PIDS+=("$FLOOR_PID")
wait_ready "$FLOOR/" 120 "$FLOOR_PID"
echo "database $DB; upstream :$UPSTREAM_PORT (pid $UPSTREAM_PID); gather :$GATHER_PORT (pid $GATHER_PID); floor :$FLOOR_PORT (pid $FLOOR_PID); logs in $WORK" >&2

# ---- every route answers what it should, before any load ----
check() { # description, command that must succeed
  if ! eval "$2" > /dev/null 2>&1; then echo "check failed: $1 (see $WORK)" >&2; exit 1; fi
}
get() { curl -fsS --max-time 30 "$1"; }
check "gather three0 complete" "get $GATHER/aggregate/three0 | jq -e '.complete and (.data | length == 3)'"
check "floor three0" "get $FLOOR/three0 | jq -e '.a.delayedMs == 0 and .c.delayedMs == 0'"
if [[ " ${SCENARIO_LIST[*]} " == *" shaped "* ]]; then
  check "gather three0plain complete" "get $GATHER/aggregate/three0plain | jq -e '.complete and .data.a.address.city == \"Lyon\"'"
  check "gather three0shaped complete" "get $GATHER/aggregate/three0shaped | jq -e '.complete and .data.name == \"Ada Ritchie\" and (.data.friends | length == 5)'"
fi
if [[ " ${SCENARIO_LIST[*]} " == *" streamed "* ]]; then
  check "gather streamed: an event per source, the slow one last, then the end" "curl -fsS --max-time 30 -H 'Accept: application/x-ndjson' $GATHER/aggregate/streamed | jq -se 'length == 4 and .[2].source == \"slow\" and .[3].complete and .[3].status == 200'"
  check "gather streamedFast complete" "get $GATHER/aggregate/streamedFast | jq -e '.complete'"
fi
if [[ " ${SCENARIO_LIST[*]} " == *" edge "* ]]; then
  check "gather three0auth refuses no token" "[ \"\$(curl -s -o /dev/null -w '%{http_code}' $GATHER/aggregate/three0auth)\" = 401 ]"
  check "gather three0auth takes the token" "curl -fsS -H 'Authorization: Bearer $BENCH_TOKEN' $GATHER/aggregate/three0auth | jq -e '.complete'"
  check "gather three0limited complete" "get $GATHER/aggregate/three0limited | jq -e '.complete'"
fi
check "gather three50 complete" "get $GATHER/aggregate/three50 | jq -e '.complete and .data.a.delayedMs == 50'"
check "floor three50" "get $FLOOR/three50 | jq -e '.b.delayedMs == 50'"
check "gather row (SQL source)" "get $GATHER/aggregate/row/$ROW_USER_ID | jq -e '.data.user[0].id == $ROW_USER_ID'"
check "gather GET /users/{id}" "get $GATHER/users/$ROW_USER_ID | jq -e '.id == $ROW_USER_ID'"
check "floor row (pipelined)" "get $FLOOR/row/$ROW_USER_ID | jq -e '.id == $ROW_USER_ID'"
check "floor row (Pool)" "get $FLOOR/row-pool/$ROW_USER_ID | jq -e '.id == $ROW_USER_ID'"
check "gather rows (SQL source)" "get $GATHER/aggregate/rows | jq -e '.data.users | length == 10000'"
check "gather /users/export" "[ \"\$(get $GATHER/users/export | wc -l)\" = 10000 ]"
check "floor rows" "get $FLOOR/rows | jq -e 'length == 10000'"
get "$GATHER/users/export" > "$WORK/export.ndjson"; get "$GATHER/aggregate/rows" > "$WORK/rows.json"; get "$FLOOR/rows" > "$WORK/floor-rows.json"

# ---- measuring ----
proc_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# The JIT compiler threads' ticks, "tid ticks" per line: compiling is warm-up, not the cost of a request, so the
# report shows it apart; a large share means the warm-up was too short for this machine.
jit_ticks() {
  local task
  for task in /proc/"$1"/task/*; do
    case $(cat "$task/comm" 2>/dev/null) in
      C1\ Compiler*|C2\ Compiler*) awk -v t="${task##*/}" '{print t, $14 + $15}' "$task/stat" 2>/dev/null || true ;;
    esac
  done
}
jit_delta() { # before, after -> ticks spent by compiler threads in between (threads that ended meanwhile are lost)
  awk 'NR == FNR {before[$1] = $2; next} {d += $2 - before[$1]} END {print d + 0}' <(echo "$1") <(echo "$2")
}
lua_value() { # wrk output, line (wrk_ms, raw_ms or summary), key -> value
  awk -v line="$2" -v k="$3" '$1 == line {for (i = 2; i <= NF; i++) {split($i, kv, "="); if (kv[1] == k) print kv[2]}}' "$1"
}
declare -A RPS P50 P99 US JIT CORES ERRS REQS PATHS CONNS
run_wrk() { # key (scenario.server), server pid, base url, path, connections[, a request header for every request]
  local key=$1 pid=$2 url=$3$4 conns=$5 out=$WORK/$1.wrk
  local header=(); [ -z "${6:-}" ] || header=(-H "$6")
  echo "$key: $url, warm-up $WARMUP s, then $DURATION s with $conns connections" >&2
  # wrk's own 2 s timeout would count a slow 10,000-row answer on a busy machine as an error and drop its latency.
  [ "$WARMUP" = 0 ] || wrk -t"$THREADS" -c"$conns" -d"${WARMUP}s" --timeout 30s "${header[@]}" "$url" > "$WORK/$key.warmup.wrk"
  local t0 b0 s0 j0 t1 b1 s1 j1
  t0=$(proc_ticks "$pid"); j0=$(jit_ticks "$pid"); b0=$(busy_ticks); s0=$(date +%s.%N)
  WRK_CONNECTIONS=$conns wrk -t"$THREADS" -c"$conns" -d"${DURATION}s" --timeout 30s --latency -s bench/percentiles.lua \
    "${header[@]}" "$url" > "$out"
  j1=$(jit_ticks "$pid"); t1=$(proc_ticks "$pid"); b1=$(busy_ticks); s1=$(date +%s.%N)
  local requests seconds; requests=$(lua_value "$out" summary requests); seconds=$(lua_value "$out" summary seconds)
  REQS[$key]=$requests; PATHS[$key]=$4; CONNS[$key]=$conns
  RPS[$key]=$(awk -v r="$requests" -v s="$seconds" 'BEGIN{printf "%.0f", (s > 0 ? r / s : 0)}')
  P50[$key]=$(lua_value "$out" wrk_ms p50); P99[$key]=$(lua_value "$out" wrk_ms p99)
  US[$key]=$(awk -v t=$((t1 - t0)) -v hz="$HZ" -v r="$requests" 'BEGIN{printf "%.1f", (r > 0 ? t / hz * 1e6 / r : 0)}')
  JIT[$key]=$(awk -v t="$(jit_delta "$j0" "$j1")" -v hz="$HZ" -v r="$requests" 'BEGIN{printf "%.1f", (r > 0 ? t / hz * 1e6 / r : 0)}')
  # Cores: the server's own, and the whole machine's, over the measured run.
  CORES[$key]=$(awk -v t=$((t1 - t0)) -v b=$((b1 - b0)) -v hz="$HZ" -v s0="$s0" -v s1="$s1" \
    'BEGIN{printf "%.2f of %.2f", t / hz / (s1 - s0), b / hz / (s1 - s0)}')
  ERRS[$key]=$(( $(lua_value "$out" summary connect) + $(lua_value "$out" summary read) + $(lua_value "$out" summary write) \
    + $(lua_value "$out" summary timeout) + $(lua_value "$out" summary status) ))
}

PGBENCH=
run_pgbench() { # connections
  # On a shared server the slots may not all be free (gather, the floor and other users hold some): take what is
  # free, less a margin, and say so rather than fail with "too many clients".
  local clients=$1 free note=""
  free=$(psql_admin -c "SELECT current_setting('max_connections')::int - count(*) - 5 FROM pg_stat_activity
    WHERE backend_type = 'client backend'")
  if [ "$free" -lt "$clients" ]; then
    clients=$((free > 1 ? free : 1)); note=", not $1: only $clients connections were free on the server"
  fi
  set -- "$clients"
  # -T counts the connecting too (64 backends to start on a busy machine can take seconds), hence the warm-up added;
  # pgbench's tps leaves the initial connection time out.
  local seconds=$((WARMUP + DURATION))
  echo "pgbench: the one-row query, $1 connections, $seconds s" >&2
  printf 'SELECT id, email, name, created_at, updated_at FROM users WHERE id = %s;\n' "$ROW_USER_ID" > "$WORK/one-row.sql"
  pgbench -n -M prepared -c "$1" -j "$((THREADS < $1 ? THREADS : $1))" -T "$seconds" -f "$WORK/one-row.sql" "$DB_BASE/$DB" > "$WORK/pgbench.out" 2>&1 ||
    { echo "pgbench failed: $(tail -3 "$WORK/pgbench.out")" >&2; PGBENCH="failed (see $WORK/pgbench.out)"; return 0; }
  local tps latency
  tps=$(awk '/^tps = / {printf "%.0f", $3}' "$WORK/pgbench.out")
  latency=$(awk '/^latency average/ {print $4}' "$WORK/pgbench.out")
  [ -n "$tps" ] || { PGBENCH="no transaction in $seconds s (see $WORK/pgbench.out)"; return 0; }
  PGBENCH="$tps transactions/s, latency average $latency ms ($1 connections$note; -M prepared, $seconds s)"
}

# Time to the first line of each answer (bench/FirstEvent.java), after a warm-up run thrown away; no CPU figures:
# what is measured is when the first event leaves, not what it costs. Args: key, path, Accept, workers.
declare -A FIRST_P50 FIRST_P99 END_P50 END_P99
run_first_event() {
  local key=$1 url=$GATHER$2 out=$WORK/$1.first
  echo "$key: $url ($3), warm-up $WARMUP s, then $DURATION s with $4 workers" >&2
  # The warm-up in the same JVM: one of its own would leave the measured run a cold client (see FirstEvent.java).
  java bench/FirstEvent.java "$url" "$3" "$4" "$DURATION" "$WARMUP" > "$out" 2>&1
  REQS[$key]=$(grep -o 'requests=[0-9]*' "$out" | cut -d= -f2); PATHS[$key]=$2; CONNS[$key]=$4
  ERRS[$key]=$(grep -o 'errors=[0-9]*' "$out" | cut -d= -f2)
  FIRST_P50[$key]=$(grep -o 'first_p50=[0-9.]*' "$out" | cut -d= -f2); FIRST_P99[$key]=$(grep -o 'first_p99=[0-9.]*' "$out" | cut -d= -f2)
  END_P50[$key]=$(grep -o 'end_p50=[0-9.]*' "$out" | cut -d= -f2); END_P99[$key]=$(grep -o 'end_p99=[0-9.]*' "$out" | cut -d= -f2)
}

# One more gather for a scenario that needs its own process settings (tracing, log format), started as the main
# one is, with extra environment; measured after its own warm-up, then stopped. Args: key, then NAME=value...
run_other_gather() {
  local key=$1; shift
  # A fresh JVM has had none of the other scenarios' warm-up: traced runs still compile for tens of seconds.
  local WARMUP=${OBSERVED_WARMUP:-$WARMUP}
  local port; port=$(free_port $((GATHER_PORT + 20)))
  env "$@" GATHER_JAR="$(realpath "$JAR")" GATHER_DB_URL="$DB_BASE/$DB" GATHER_HTTP_PORT="$port" \
    bin/gather --conf "$WORK/gather-bench.json" > "$WORK/$key.log" 2>&1 &
  local launched=$!
  PIDS+=("$launched")
  wait_ready "http://127.0.0.1:$port/health/ready" 120 "$launched"
  local pid; pid=$(jvm_of "$launched")
  [ "$pid" = "$launched" ] || PIDS+=("$pid")
  run_wrk "$key" "$pid" "http://127.0.0.1:$port" /aggregate/three0 64
  # A traced gather counts its spans: ended, exported (the batch processor drops what its queue cannot hold).
  curl -fs --max-time 5 "http://127.0.0.1:$port/metrics" | grep '^gather_trace_spans_total' > "$WORK/$key.spans" || true
  kill "$pid" 2> /dev/null || true
  for _ in $(seq 100); do kill -0 "$pid" 2> /dev/null || break; sleep 0.1; done
}
# The stale scenario's upstream: a second nginx (one process, /delay/0 only) that the scenario stops mid-way.
STALE_PID=
start_stale_upstream() {
  mkdir -p "$WORK/nginx-stale"
  cat > "$WORK/nginx-stale.conf" <<NGINX
daemon off;
master_process off;
worker_processes 1;
pid $WORK/nginx-stale/nginx.pid;
error_log $WORK/nginx-stale/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $WORK/nginx-stale/body;
  proxy_temp_path $WORK/nginx-stale/proxy;
  fastcgi_temp_path $WORK/nginx-stale/fastcgi;
  uwsgi_temp_path $WORK/nginx-stale/uwsgi;
  scgi_temp_path $WORK/nginx-stale/scgi;
  server {
    listen 127.0.0.1:$STALE_PORT;
    default_type application/json;
    location = /delay/0 { return 200 '{"delayedMs":0,"from":"the stale upstream"}'; }
  }
}
NGINX
  nginx -p "$WORK/nginx-stale" -c "$WORK/nginx-stale.conf" > "$WORK/stale-upstream.log" 2>&1 &
  STALE_PID=$!; PIDS+=("$STALE_PID")
  wait_ready "http://127.0.0.1:$STALE_PORT/delay/0" 30 "$STALE_PID"
}

OTEL_SINK=(OTEL_TRACES_EXPORTER=otlp OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf
  "OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:$UPSTREAM_PORT" OTEL_SERVICE_NAME=gather-bench
  OTEL_METRICS_EXPORTER=none OTEL_LOGS_EXPORTER=none OTEL_TRACES_SAMPLER=parentbased_traceidratio)

for scenario in "${SCENARIO_LIST[@]}"; do
  case $scenario in
    hello)
      run_wrk hello.gather "$GATHER_PID" "$GATHER" / 64
      run_wrk hello.floor "$FLOOR_PID" "$FLOOR" / 64 ;;
    three0)
      run_wrk three0.gather "$GATHER_PID" "$GATHER" /aggregate/three0 64
      run_wrk three0.floor "$FLOOR_PID" "$FLOOR" /three0 64 ;;
    three50)
      run_wrk three50.gather "$GATHER_PID" "$GATHER" /aggregate/three50 256
      run_wrk three50.floor "$FLOOR_PID" "$FLOOR" /three50 256 ;;
    row)
      run_wrk row.gather "$GATHER_PID" "$GATHER" "/aggregate/row/$ROW_USER_ID" 64
      run_wrk row.users "$GATHER_PID" "$GATHER" "/users/$ROW_USER_ID" 64
      run_wrk row.floor "$FLOOR_PID" "$FLOOR" "/row/$ROW_USER_ID" 64
      run_wrk row.floorpool "$FLOOR_PID" "$FLOOR" "/row-pool/$ROW_USER_ID" 64
      run_pgbench 64 ;;
    rows)
      run_wrk rows.gather "$GATHER_PID" "$GATHER" /aggregate/rows 8
      run_wrk rows.export "$GATHER_PID" "$GATHER" /users/export 8
      run_wrk rows.floor "$FLOOR_PID" "$FLOOR" /rows 8 ;;
    observed)
      if [ "$UPSTREAM" != nginx ]; then echo "observed: needs UPSTREAM=nginx (its OTLP sink); skipped" >&2; continue; fi
      run_other_gather observed.plain
      run_other_gather observed.trace100 "${OTEL_SINK[@]}" OTEL_TRACES_SAMPLER_ARG=1.0
      run_other_gather observed.trace1 "${OTEL_SINK[@]}" OTEL_TRACES_SAMPLER_ARG=0.01
      run_other_gather observed.json GATHER_LOG_FORMAT=json ;;
    console)
      # Twice each, alternating: two fresh processes differ by more than the few per cent asked about.
      run_other_gather console.off GATHER_CONSOLE_ENABLED=false
      run_other_gather console.on GATHER_CONSOLE_ENABLED=true
      run_other_gather console.off2 GATHER_CONSOLE_ENABLED=false
      run_other_gather console.on2 GATHER_CONSOLE_ENABLED=true ;;
    edge)
      run_wrk edge.open "$GATHER_PID" "$GATHER" /aggregate/three0 64
      run_wrk edge.jwt "$GATHER_PID" "$GATHER" /aggregate/three0auth 64 "Authorization: Bearer $BENCH_TOKEN"
      run_wrk edge.limited "$GATHER_PID" "$GATHER" /aggregate/three0limited 64 ;;
    shaped)
      run_wrk shaped.plain "$GATHER_PID" "$GATHER" /aggregate/three0plain 64
      run_wrk shaped.gather "$GATHER_PID" "$GATHER" /aggregate/three0shaped 64 ;;
    cached)
      check "gather three0cached complete" "get $GATHER/aggregate/three0cached | jq -e '.complete'"
      check "gather three0cached answers from the cache" \
        "get $GATHER/aggregate/three0cached | jq -e '[.sources[].cached] == [true, true, true]'"
      run_wrk cached.plain "$GATHER_PID" "$GATHER" /aggregate/three0 64
      run_wrk cached.gather "$GATHER_PID" "$GATHER" /aggregate/three0cached 64 ;;
    stale)
      if [ "$UPSTREAM" != nginx ]; then echo "stale: needs UPSTREAM=nginx (a second nginx it stops); skipped" >&2; continue; fi
      start_stale_upstream
      check "gather three0stale complete and fresh" \
        "get $GATHER/aggregate/three0stale | jq -e '.complete and ([.sources[].stale] == [false, false, false])'"
      stop_pids 10 "$STALE_PID"
      check "the stale upstream is down" "! curl -fs --max-time 2 -o /dev/null http://127.0.0.1:$STALE_PORT/delay/0"
      check "gather three0stale answers stale" \
        "get $GATHER/aggregate/three0stale | jq -e '.complete and ([.sources[].stale] == [true, true, true])'"
      run_wrk stale.gather "$GATHER_PID" "$GATHER" /aggregate/three0stale 64 ;;
    streamed)
      run_first_event streamed.fast /aggregate/streamedFast application/json 16
      run_first_event streamed.gather /aggregate/streamed application/x-ndjson 16 ;;
  esac
done

GATHER_RSS=$(awk '/^VmRSS/{printf "%d", $2 / 1024}' "/proc/$GATHER_PID/status")
GATHER_HWM=$(awk '/^VmHWM/{printf "%d", $2 / 1024}' "/proc/$GATHER_PID/status")
FLOOR_RSS=$(awk '/^VmRSS/{printf "%d", $2 / 1024}' "/proc/$FLOOR_PID/status")
FLOOR_HWM=$(awk '/^VmHWM/{printf "%d", $2 / 1024}' "/proc/$FLOOR_PID/status")
GATHER_INSTANCES=$(curl -fs "$GATHER/" | jq -r '.instances // "?"' || echo "?")
GATHER_CMDLINE=$(tr '\0' ' ' < "/proc/$GATHER_PID/cmdline" | cut -c1-300)

# ---- the report ----
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{if (a > 0 && b > 0) printf "%.2f×", a / b; else print "?"}'; } # ? = a run without answers
# A row for what one of gather's features costs: gather with it against gather without it, from the same run.
feature_row() { # label, key, key of the run without the feature, what that run is, limit (none: for comparison)
  local r target
  r=$(ratio "${US[$2]}" "${US[$3]}")
  if [ -n "${5:-}" ]; then target="≤ $5× $(verdict "$r" "$5")"; else target="(for comparison)"; fi
  echo "| $1 | ${CONNS[$2]} | vs $4: $(cell "$3") | $(cell "$2") | $r$(without_jit "$2" "$3") of $4 | $target |"
}
spans() { # key -> "; spans exported: N of M ended (P %)", from gather_trace_spans_total after its runs (warm-up included)
  [ -s "$WORK/$1.spans" ] || return 0
  awk '/outcome="ended"/{e=$2} /outcome="exported"/{x=$2} END{if (e > 0) printf "; spans exported: %d of %d ended (%.0f %%)", x, e, 100 * x / e}' "$WORK/$1.spans"
}
verdict() { # value, limit -> met / MISSED
  awk -v v="${1%×}" -v l="$2" 'BEGIN{if (v == "?") print "?"; else if (v + 0 <= l + 0) print "met"; else print "**missed**"}'
}
has() { [ -n "${REQS[$1]:-}" ]; }
without_jit() { # key, key -> " (ratio of the CPU per request less the JIT compiler's)", when the JIT took any
  awk -v a="${US[$1]}" -v ja="${JIT[$1]}" -v b="${US[$2]}" -v jb="${JIT[$2]}" \
    'BEGIN{if ((ja > 0 || jb > 0) && a - ja > 0 && b - jb > 0) printf " (%.2f× without JIT)", (a - ja) / (b - jb)}'
}
cell() { # key -> "req/s · p50 / p99 ms · µs/req"
  local e=""; [ "${ERRS[$1]}" = 0 ] || e=" · **${ERRS[$1]} errors**"
  echo "${RPS[$1]}/s · ${P50[$1]} / ${P99[$1]} ms · **${US[$1]} µs**$e"
}
REPORT=$WORK/report.md
{
  head_time=$(git log -1 --format=%ct)
  src_time=$(git log -1 --format=%ct -- src pom.xml) # the jar is built from these; bench/ and docs do not date it
  echo "# gather vs the bare Vert.x floor, $(date -u '+%F %H:%M UTC')"
  echo
  echo "- machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(free -g | awk '/Mem:/{print $2}') GiB;" \
       "busy before the run (other processes): $IDLE_CHECK cores; java: $(java -version 2>&1 | head -1)"
  echo "- gather: HEAD $(git rev-parse --short HEAD) (committed $(date -u -d "@$head_time" '+%F %H:%M UTC'))$(git diff --quiet HEAD -- src pom.xml || echo ', src/ has uncommitted changes');" \
       "jar built $(date -u -r "$JAR" '+%F %H:%M UTC')$([ "$(stat -c %Y "$JAR")" -lt "$src_time" ] && echo ' (older than the last commit to src/: it may not contain it)');" \
       "started as $GATHER_HOW; $GATHER_INSTANCES HTTP event loops; access log $ACCESS_LOG_STATE; JVM: \`$GATHER_CMDLINE\`"
  echo "- floor: bench/Floor.java (\`java ${FLOOR_OPTS[*]}${FLOOR_OPTS[*]:+ }-cp $JAR\`$([ -n "${FLOOR_JAVA_OPTS+set}" ] && echo ', FLOOR_JAVA_OPTS' || echo ": gather's JVM options")), $(sed -n 's/^floor listening on [^ ]* with //p' "$WORK/floor.log")"
  echo "- upstream: $UPSTREAM_DESC; PostgreSQL: $(psql_admin -c 'SHOW server_version') at ${DB_BASE#*@}, database seeded with 10,000 users"
  echo "- wrk -t$THREADS, warm-up $WARMUP s, measured $DURATION s per run; wrk, the upstream, PostgreSQL and the servers share the machine"
  echo
  echo "CPU = utime + stime of the server process over the measured run ÷ its requests. Ratio = gather's CPU per" \
       "request ÷ the floor's, from the same run (in brackets: both less their JIT compiler threads' CPU, which is" \
       "warm-up still going on). Cell: requests/s · p50 / p99 · CPU per request."
  echo
  echo "| work | connections | floor | gather | gather / floor (CPU) | target |"
  echo "|---|--:|---|---|--:|---|"
  if has hello.gather; then
    r=$(ratio "${US[hello.gather]}" "${US[hello.floor]}")
    echo "| \`GET /\` hello | 64 | $(cell hello.floor) | $(cell hello.gather) | $r$(without_jit hello.gather hello.floor) | ≤ 1.2× $(verdict "$r" 1.2) |"
  fi
  if has three0.gather; then
    r=$(ratio "${US[three0.gather]}" "${US[three0.floor]}")
    echo "| 3 upstream calls, 0 ms | 64 | $(cell three0.floor) | $(cell three0.gather) | $r$(without_jit three0.gather three0.floor) | ≤ 1.1× $(verdict "$r" 1.1) |"
  fi
  if has three50.gather; then
    r=$(ratio "${US[three50.gather]}" "${US[three50.floor]}")
    dp99=$(awk -v g="${P99[three50.gather]}" -v f="${P99[three50.floor]}" 'BEGIN{printf "%+.1f", g - f}')
    p99ok=$(awk -v d="$dp99" -v g="${REQS[three50.gather]}" -v f="${REQS[three50.floor]}" \
      'BEGIN{print (g == 0 || f == 0) ? "?" : (d <= 5) ? "met" : "**missed**"}')
    echo "| 3 upstream calls, 50 ms | 256 | $(cell three50.floor) | $(cell three50.gather) | $r$(without_jit three50.gather three50.floor) | ≤ 1.2× $(verdict "$r" 1.2); p99 $dp99 ms vs the floor's (≤ +5) $p99ok |"
  fi
  if has row.gather; then
    r=$(ratio "${US[row.gather]}" "${US[row.floor]}")
    echo "| one row by id, SQL source | 64 | $(cell row.floor) (pipelined client) | $(cell row.gather) | $r$(without_jit row.gather row.floor) | ≤ 1.0× $(verdict "$r" 1.0) |"
    r=$(ratio "${US[row.users]}" "${US[row.floor]}")
    echo "| one row by id, \`GET /users/{id}\` | 64 | (as above) | $(cell row.users) | $r$(without_jit row.users row.floor) | ≤ 1.0× $(verdict "$r" 1.0) |"
    r=$(ratio "${US[row.gather]}" "${US[row.floorpool]}")
    echo "| one row by id, floor through a plain \`Pool\` | 64 | $(cell row.floorpool) | (SQL source, above) | $r$(without_jit row.gather row.floorpool) | for comparison |"
  fi
  if has rows.gather; then
    r=$(ratio "${US[rows.gather]}" "${US[rows.floor]}")
    echo "| 10,000 rows as JSON, SQL source | 8 | $(cell rows.floor) | $(cell rows.gather) | $r$(without_jit rows.gather rows.floor) | for comparison |"
    r=$(ratio "${US[rows.export]}" "${US[rows.gather]}")
    echo "| 10,000 rows, \`/users/export\` (NDJSON) | 8 | vs gather's SQL source: $(cell rows.gather) | $(cell rows.export) | $r$(without_jit rows.export rows.gather) of the SQL source ($(ratio "${US[rows.export]}" "${US[rows.floor]}") of the floor) | ≤ 1.0× the SQL source $(verdict "$r" 1.0) |"
  fi
  if has observed.plain; then
    feature_row "3 calls, 0 ms, traced: 100 % sampled, exported over OTLP/HTTP$(spans observed.trace100)" observed.trace100 observed.plain "gather untraced" 1.3
    feature_row "3 calls, 0 ms, traced: 1 % sampled$(spans observed.trace1)" observed.trace1 observed.plain "gather untraced" 1.05
    feature_row "3 calls, 0 ms, JSON logs (\`log.format: json\`)" observed.json observed.plain "gather with text logs"
  fi
  if has console.on; then
    feature_row "3 calls, 0 ms, console enabled, no page open (1st pair)" console.on console.off "gather without the console" 1.05
    feature_row "3 calls, 0 ms, console enabled, no page open (2nd pair)" console.on2 console.off2 "gather without the console" 1.05
  fi
  if has edge.jwt; then
    feature_row "3 calls, 0 ms, a JWT (RS256) verified on every request" edge.jwt edge.open "gather open" 1.15
    feature_row "3 calls, 0 ms, rate-limited (in-process buckets, never reached)" edge.limited edge.open "gather open"
  fi
  if has shaped.gather; then
    feature_row "3 calls, 0 ms, shaped (\`select\` per source + a \`shape\` template)" shaped.gather shaped.plain "gather unshaped" 1.25
  fi
  if has cached.gather; then
    # Judged on requests/s, not CPU: what a cache buys is answers without the calls.
    r=$(ratio "${RPS[cached.gather]}" "${RPS[cached.plain]}")
    ok=$(awk -v v="${r%×}" 'BEGIN{if (v == "?") print "?"; else if (v + 0 >= 3) print "met"; else print "**missed**"}')
    echo "| 3 calls, 0 ms, all 3 sources cached (\`cache: {ttlMs: 60000}\`) | 64 | vs gather uncached: $(cell cached.plain) | $(cell cached.gather) | $r the uncached requests/s ($(ratio "${US[cached.gather]}" "${US[cached.plain]}") of its CPU per request) | ≥ 3× requests/s $ok |"
  fi
  if has stale.gather; then
    ok=$([ "${ERRS[stale.gather]}" = 0 ] && [ "${REQS[stale.gather]}" -gt 0 ] && echo met || echo "**missed**")
    echo "| 3 calls to a stopped upstream, served stale (\`staleIfErrorMs\`) | 64 | — | $(cell stale.gather) | ${ERRS[stale.gather]} errors in ${REQS[stale.gather]} requests | 0 errors $ok |"
  fi
  if [ -n "${FIRST_P50[streamed.gather]:-}" ]; then
    gap=$(awk -v s="${FIRST_P50[streamed.gather]}" -v f="${END_P50[streamed.fast]}" 'BEGIN{printf "%+.1f", s - f}')
    gap_ok=$(awk -v d="$gap" -v g="${REQS[streamed.gather]}" -v f="${REQS[streamed.fast]}" \
      'BEGIN{print (g == 0 || f == 0) ? "?" : (d <= 5) ? "met" : "**missed**"}')
    echo "| streamed (NDJSON), 3 calls, one of 500 ms: time to the first event | ${CONNS[streamed.gather]} workers | the 2 fast calls alone, whole answer: p50 / p99 ${END_P50[streamed.fast]} / ${END_P99[streamed.fast]} ms (${REQS[streamed.fast]} answers, ${ERRS[streamed.fast]} errors) | first event p50 / p99 ${FIRST_P50[streamed.gather]} / ${FIRST_P99[streamed.gather]} ms; end p50 ${END_P50[streamed.gather]} ms (${REQS[streamed.gather]} answers, ${ERRS[streamed.gather]} errors) | first event $gap ms vs the fast answer (p50) | ≤ +5 ms $gap_ok |"
  fi
  rss_ok=$(awk -v r="$GATHER_RSS" -v h="$GATHER_HWM" 'BEGIN{print (r * 1048576 <= 300e6 && h * 1048576 <= 300e6) ? "met" : "**missed**"}')
  echo "| resident memory after the run | | $FLOOR_RSS MiB (peak $FLOOR_HWM MiB) | $GATHER_RSS MiB (peak VmHWM $GATHER_HWM MiB; $GATHER_RSS_START MiB after start) | | ≤ 300 MB $rss_ok |"
  echo
  if has three50.gather; then
    echo "3 calls at 50 ms: the ideal with 256 connections is 256 / 50 ms = 5,120 req/s; floor" \
         "$(awk -v r="${RPS[three50.floor]}" 'BEGIN{printf "%.1f", 100 * r / 5120}') %, gather" \
         "$(awk -v r="${RPS[three50.gather]}" 'BEGIN{printf "%.1f", 100 * r / 5120}') % of it."
    echo
  fi
  [ -z "$PGBENCH" ] || { echo "pgbench on the same one-row query (the database's own ceiling): $PGBENCH."; echo; }
  echo "## Raw figures"
  echo
  echo "| run | path | connections | requests | req/s | p50 ms | p99 ms | raw p99 ms | CPU µs / request | of which JIT | cores: server of machine | errors |"
  echo "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|---|--:|"
  for key in hello.gather hello.floor three0.gather three0.floor three50.gather three50.floor row.gather row.users \
             row.floor row.floorpool rows.gather rows.export rows.floor shaped.plain shaped.gather edge.open edge.jwt edge.limited observed.plain observed.trace100 observed.trace1 observed.json console.off console.on console.off2 console.on2 \
             cached.plain cached.gather stale.gather; do
    has "$key" || continue
    echo "| $key | \`${PATHS[$key]}\` | ${CONNS[$key]} | ${REQS[$key]} | ${RPS[$key]} | ${P50[$key]} | ${P99[$key]}" \
         "| $(lua_value "$WORK/$key.wrk" raw_ms p99) | ${US[$key]} | ${JIT[$key]} | ${CORES[$key]} | ${ERRS[$key]} |"
  done
  echo
  echo "p50 / p99 as wrk reports them (with its coordinated-omission correction); raw p99 without it" \
       "(bench/percentiles.lua). Of which JIT: the part of the CPU per request spent by the JIT compiler threads" \
       "during the measured run; more than a few µs means the warm-up (WARMUP) was too short for this machine." \
       "Errors: socket errors plus answers of status 400 or more."
  echo
  echo "- gather log lines at WARN/ERROR: $(grep -cE ' (WARN|ERROR) ' "$WORK/gather.log" || true); floor log: $(wc -l < "$WORK/floor.log") lines"
  echo "- answer sizes: /users/export $(wc -c < "$WORK/export.ndjson") bytes, /aggregate/rows $(wc -c < "$WORK/rows.json") bytes, floor /rows $(wc -c < "$WORK/floor-rows.json") bytes"
  for key in hello.gather hello.floor three0.gather three0.floor three50.gather three50.floor row.gather row.users \
             row.floor row.floorpool rows.gather rows.export rows.floor shaped.plain shaped.gather edge.open edge.jwt edge.limited observed.plain observed.trace100 observed.trace1 observed.json console.off console.on console.off2 console.on2 \
             cached.plain cached.gather stale.gather; do
    has "$key" || continue
    echo; echo "### $key"; echo; echo '```'; cat "$WORK/$key.wrk"; echo '```'
  done
  for key in streamed.fast streamed.gather; do
    [ -f "$WORK/$key.first" ] || continue
    echo; echo "### $key"; echo; echo '```'; cat "$WORK/$key.first"; echo '```'
  done
  if [ -f "$WORK/pgbench.out" ]; then echo; echo "### pgbench"; echo; echo '```'; cat "$WORK/pgbench.out"; echo '```'; fi
} > "$REPORT"

cat "$REPORT"
if [ "${NO_REPORT_FILE:-0}" != 1 ]; then
  FILE=bench/results-$(date -u +%F)-$LABEL.md
  cp "$REPORT" "$FILE"
  echo "report written to $FILE" >&2
fi
