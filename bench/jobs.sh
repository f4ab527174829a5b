#!/usr/bin/env bash
# Benchmark of gather's durable job queue: trivial jobs (cpu.sum with n=1) through enqueue -> claim -> complete,
# with TWO gather processes sharing ONE PostgreSQL database. From the repo root:
#
#   bench/jobs.sh                                   (one pair of processes, prefetch 256: about 2 minutes)
#   RUNS=2 bench/jobs.sh | tee bench/results-$(date +%F)-jobs.md                  (about 4 minutes)
#   PREFETCH="16 64 256" MODES="http sql" RUNS=2 bench/jobs.sh                     (three pairs: about 8 minutes)
#   MODES=batch BATCH=1000 bench/jobs.sh                                           (one mode only)
#   MODES="http v2" RUNS=2 bench/jobs.sh           (plain jobs next to unique + limited ones: about 5 minutes)
#
# The output is Markdown on stdout; progress goes to stderr. For every value in PREFETCH the script creates a
# fresh database (gather_bench_<time>_<pid>_p<prefetch>), starts process A and process B on it, enqueues a
# warm-up batch through HTTP (through POST /jobs, and through POST /jobs/batch too when MODES has batch) and
# throws its figures away (the JIT), then measures RUNS times each mode of MODES:
#
#   http  JOBS jobs POSTed to /jobs, half to each process (one wrk per process, each stopping after its share),
#         while both processes work the queue: enqueue rate, end-to-end jobs/s, drain rate once enqueuing stops.
#   batch the same through POST /jobs/batch, BATCH jobs per request (one commit each): JOBS / BATCH requests,
#         half to each process, BATCH_CONNECTIONS connections per wrk. Rates count jobs, not requests.
#   sql   JOBS jobs INSERTed in one transaction (generate_series) while both processes sit idle, then one NOTIFY:
#         claim -> complete only, without the HTTP enqueue cost.
#   v2    as http, but every job is unique and its kind limited (issue 17: "at most 30 % slower" than plain jobs):
#         each POST /jobs carries "unique": {"by": ["kind", "input.i"]} with an i no other request of the run has
#         (so each one makes a new job and pays the uniqueness check), and cpu.sum has a per-kind limit in both
#         processes, so every claim takes the limited path (advisory lock, count of the kind's running jobs). The
#         limit is set there through a config file (conf/config.json plus jobs.kinds, given with --conf), so v2
#         runs on a pair of processes and a database of its own (gather_bench_..._p<prefetch>_v2, with its own
#         warm-up through the v2 path), after the pair of the other modes. V2_CONCURRENCY defaults to more than
#         both processes can ever hold (2 x (prefetch + 64): prefetch plus workers each), so the limit itself
#         never binds and the figure is the cost of the limited claim path, not of waiting for a slot. The report
#         puts each v2 run next to the http run of the same number and prefetch: plain / v2 end-to-end jobs/s.
#
# Every figure comes from the jobs table (created_at, started_at, finished_at, lease_owner, attempts), not from
# wrk, which stops with some requests in flight (up to connections - 1 per wrk); those jobs still get inserted
# and are counted, so a run has a little more than JOBS jobs (in batch mode up to 2 x (BATCH_CONNECTIONS - 1) x
# BATCH more, hence the few connections there). The database is dropped at the end (KEEP_DB=1 keeps it).
#
# Knobs (environment): JAR (default target/gather.jar), JOBS (per measured run, default 50000), WARMUP_JOBS
# (default 20000, per enqueue path), PREFETCH (jobs.prefetch values, one pair of processes and one database each;
# default 256, gather's), MODES (default "http batch sql"), RUNS (repeats of MODES per pair, default 1),
# CONNECTIONS (connections of each wrk in http mode, default 64), BATCH (jobs per POST /jobs/batch, 1 to 1000,
# default 100), BATCH_CONNECTIONS (connections of each wrk in batch mode, default 8), THREADS (threads of each
# wrk, default 1), JAVA_OPTS (both JVMs), GATHER_DB_URL_BASE (server
# without the database, default postgresql://postgres@127.0.0.1:5432; psql must reach it too), PORT_A / PORT_B
# (default: the first free ports from 18180), ANALYZE=0 (no ANALYZE jobs after the warm-up, see below),
# DRAIN_TIMEOUT (seconds to wait for the queue to empty, default 300), SAMPLE=0 (no pg_stat_activity sampling),
# KEEP_DB=1, V2_CONCURRENCY (v2: jobs.kinds."cpu.sum".concurrency.limit, default 2 x (prefetch + 64); e.g. 64 to
# see the limit bind), V2_RATE (v2: also a rate limit, LIMIT/PERIOD_MS such as 1000000/1000, which logs every
# start in job_kind_starts; default none). v2 needs jq (to write its config file). Any other GATHER_* variable (e.g. GATHER_DB_POOL_SIZE,
# GATHER_JOBS_CPU_WORKERS) reaches both processes as it is; GATHER_DEMO_ENABLED and GATHER_HTTP_ACCESS_LOG are
# forced to false and GATHER_DB_URL, GATHER_HTTP_PORT and GATHER_JOBS_PREFETCH are set here.
#
# ANALYZE: gather analyzes the jobs table with each retention clean-up (at start, then every minute); on a server
# with autovacuum off (this machine's CI PostgreSQL has
# it off in conf.d/90-ci.conf) a fresh table then has no statistics at all, and the claim query's plan becomes a
# bitmap scan plus a sort of the whole queue (about 13 ms per claim at 25,000 queued jobs instead of 0.1 ms).
# Autovacuum's analyze would have run by the end of the warm-up on a stock server, so the script does the same
# after the warm-up, unless ANALYZE=0 (which then measures the unanalyzed table).
set -euo pipefail
cd "$(dirname "$0")/.."

JAR=${JAR:-target/gather.jar}
JOBS=${JOBS:-50000}
WARMUP_JOBS=${WARMUP_JOBS:-20000}
read -r -a PREFETCHES <<< "${PREFETCH:-256}"
read -r -a MODE_LIST <<< "${MODES:-http batch sql}"
RUNS=${RUNS:-1}
CONNECTIONS=${CONNECTIONS:-64}
BATCH=${BATCH:-100}
BATCH_CONNECTIONS=${BATCH_CONNECTIONS:-8}
THREADS=${THREADS:-1}
DB_BASE=${GATHER_DB_URL_BASE:-postgresql://postgres@127.0.0.1:5432}
DB_BASE=${DB_BASE%/}
DRAIN_TIMEOUT=${DRAIN_TIMEOUT:-300}
SAMPLE=${SAMPLE:-1}
ANALYZE=${ANALYZE:-1}
for n in "$JOBS" "$WARMUP_JOBS" "$RUNS" "$CONNECTIONS" "$BATCH" "$BATCH_CONNECTIONS" "$THREADS" "$DRAIN_TIMEOUT" "${PREFETCHES[@]}"; do
  [[ $n =~ ^[0-9]+$ ]] || { echo "JOBS, WARMUP_JOBS, RUNS, CONNECTIONS, BATCH, BATCH_CONNECTIONS, THREADS, DRAIN_TIMEOUT and PREFETCH must be numbers, not $n" >&2; exit 2; }
done
[ "$JOBS" -ge $((2 * CONNECTIONS * THREADS)) ] || { echo "JOBS must be at least 2 x CONNECTIONS x THREADS" >&2; exit 2; }
BATCHED=0
V2=0
PLAIN_MODES=() # every mode but v2: they share one pair of processes per prefetch; v2 gets a pair of its own
for mode in "${MODE_LIST[@]}"; do
  case $mode in
    http|sql) PLAIN_MODES+=("$mode") ;;
    batch) BATCHED=1; PLAIN_MODES+=("$mode") ;;
    v2) V2=1 ;;
    *) echo "unknown mode $mode (use http, batch, sql, v2)" >&2; exit 2 ;;
  esac
done
V2_CONCURRENCY=${V2_CONCURRENCY:-}
V2_RATE=${V2_RATE:-}
if [ "$V2" = 1 ]; then
  [ -z "$V2_CONCURRENCY" ] || { [[ $V2_CONCURRENCY =~ ^[0-9]+$ ]] && [ "$V2_CONCURRENCY" -ge 1 ] && [ "$V2_CONCURRENCY" -le 1000000 ]; } ||
    { echo "V2_CONCURRENCY must be 1 to 1000000 (jobs.kinds.<kind>.concurrency.limit), not $V2_CONCURRENCY" >&2; exit 2; }
  [ -z "$V2_RATE" ] || [[ $V2_RATE =~ ^[1-9][0-9]*/[1-9][0-9]*$ ]] ||
    { echo "V2_RATE must be LIMIT/PERIOD_MS (jobs.kinds.<kind>.rate.limit and periodMs), e.g. 1000000/1000, not $V2_RATE" >&2; exit 2; }
  command -v jq > /dev/null || { echo "bench/jobs.sh needs jq for MODES with v2 (it writes the v2 config file)" >&2; exit 2; }
fi
if [ "$BATCHED" = 1 ]; then
  [ "$BATCH" -ge 1 ] && [ "$BATCH" -le 1000 ] || { echo "BATCH must be 1 to 1000 (POST /jobs/batch's limit)" >&2; exit 2; }
  [ "$JOBS" -ge $((2 * BATCH * BATCH_CONNECTIONS * THREADS)) ] ||
    { echo "JOBS must be at least 2 x BATCH x BATCH_CONNECTIONS x THREADS" >&2; exit 2; }
fi
for tool in java wrk curl psql awk; do command -v "$tool" > /dev/null || { echo "bench/jobs.sh needs $tool" >&2; exit 2; }; done
[ -f "$JAR" ] || { echo "no $JAR: build it first (./mvnw -B -q -DskipTests package)" >&2; exit 2; }

# Everything the run leaves behind (logs, raw wrk output, samples) goes here and is kept for inspection.
WORK=$(mktemp -d "${TMPDIR:-/tmp}/gather-jobs-bench.XXXXXX")
PIDS=()
DBS=()
psql_admin() { psql "$DB_BASE/postgres" -X -q -v ON_ERROR_STOP=1 -At "$@"; }
source bench/lib.sh # free_port, wait_ready, busy_ticks, stop_pids (the script runs from the repository root)
cleanup() {
  # Only the processes this script started, by pid: TERM first (gather drains and exits 0), KILL if stuck.
  stop_pids 15 "${PIDS[@]}"
  if [ "${KEEP_DB:-0}" != 1 ]; then
    for db in "${DBS[@]}"; do psql_admin -c "DROP DATABASE IF EXISTS $db" 2>/dev/null || echo "could not drop $db" >&2; done
  elif [ ${#DBS[@]} -gt 0 ]; then
    echo "databases kept: ${DBS[*]}" >&2
  fi
  echo "Logs and raw output kept in $WORK" >&2
}
trap cleanup EXIT
trap 'exit 130' INT TERM



# CPU accounting from /proc, in clock ticks: everything busy, each gather, and the local PostgreSQL's processes
# (all of them, other databases included; those of finished short-lived backends are lost, which the
# "rest" column then shows: it is wrk, psql and whatever else ran).
proc_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
pg_ticks() {
  local total=0 pid
  for pid in $(pgrep -x postgres || true); do total=$((total + $(proc_ticks "$pid"))); done
  echo "$total"
}
cpu_snapshot() { echo "$(busy_ticks) $(proc_ticks "$A_PID") $(proc_ticks "$B_PID") $(pg_ticks) $(date +%s.%N)"; }
cpu_split() { # snapshot before, snapshot after -> "A / B / postgres / rest" in cores
  echo "$1 $2" | awk -v hz="$(getconf CLK_TCK)" '{s = ($10 - $5) * hz;
    printf "%.2f / %.2f / %.2f / %.2f", ($7 - $2) / s, ($8 - $3) / s, ($9 - $4) / s,
      (($6 - $1) - ($7 - $2) - ($8 - $3) - ($9 - $4)) / s}'
}

# Runs of cpu.sum that a process finished with success, from its /metrics (a job run twice would count twice).
runs_done() {
  curl -s "http://127.0.0.1:$1/metrics" | awk '/^gather_job_seconds_count\{/ && /kind="cpu.sum"/ && /outcome="succeeded"/ &&
    /source="job"/ {n += $NF} END {printf "%d", n}'
}

# Time the database requests of a process waited for a pooled connection: "seconds count seconds count", pool
# gather-db (HTTP requests: enqueue, ...) then gather-db-jobs (the workers' claim, finish, heartbeat).
pool_wait() {
  curl -s "http://127.0.0.1:$1/metrics" | awk '/^vertx_pool_queue_time_seconds_(sum|count)\{/ {
      p = /pool_name="gather-db"/ ? 1 : /pool_name="gather-db-jobs"/ ? 2 : 0
      if (p) { if ($1 ~ /_sum/) s[p] = $NF; else c[p] = $NF } }
    END {printf "%s %s %s %s", s[1] + 0, c[1] + 0, s[2] + 0, c[2] + 0}'
}
pool_wait_ms() { # before, after -> mean wait in ms and how many requests, per pool
  echo "$1 $2" | awk '{n = $6 - $2; m = $8 - $4
    printf "gather-db %.1f ms mean over %d, gather-db-jobs %.1f ms mean over %d",
      n ? 1000 * ($5 - $1) / n : 0, n, m ? 1000 * ($7 - $3) / m : 0, m}'
}

# wrk has no request count, and its main thread sleeps out -d whatever the threads do: so each thread stops after
# its share of answers and drops a file; once all have, the script sends wrk SIGINT, on which wrk reports at once.
# response() costs a Lua call per answer (not wrk's fast path); at these rates wrk stays well below a core.
# WRK_BATCH=0: one job per request (POST /jobs); n > 0: {"jobs": [n jobs]} (POST /jobs/batch), counted as n jobs.
cat > "$WORK/enqueue.lua" <<'LUA'
local job = '{"kind":"cpu.sum","input":{"n":1}}'
local batch = tonumber(os.getenv("WRK_BATCH") or "0")
wrk.method = "POST"
if batch > 0 then
  local jobs = {}
  for i = 1, batch do jobs[i] = job end
  wrk.body = '{"jobs":[' .. table.concat(jobs, ",") .. ']}'
else
  wrk.body = job
end
wrk.headers["Content-Type"] = "application/json"
-- WRK_UNIQUE_BASE set (v2): each request a job of its own key, "i" = base + thread id x 1e7 + this thread's count
-- (the script gives each wrk and each enqueue a base of its own), built per request by request(), which leaves
-- wrk's pre-built request for a Lua call per request.
local unique_base = tonumber(os.getenv("WRK_UNIQUE_BASE") or "")
if unique_base then
  local sent = 0
  function request()
    sent = sent + 1
    return wrk.format(nil, nil, nil, string.format(
      '{"kind":"cpu.sum","input":{"n":1,"i":%.0f},"unique":{"by":["kind","input.i"]}}', unique_base + id * 1e7 + sent))
  end
end
local threads = {}
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end
quota = tonumber(os.getenv("WRK_QUOTA"))
accepted, other, answered = 0, 0, 0
function response(status, headers, body)
  answered = answered + 1
  if status == 202 then accepted = accepted + 1 else other = other + 1 end
  if answered == quota then
    wrk.thread:stop()
    local f = io.open(os.getenv("WRK_DONE") .. "." .. id, "w")
    f:close()
  end
end
function done(summary, latency, requests)
  local a, o = 0, 0
  for _, t in ipairs(threads) do a = a + t:get("accepted"); o = o + t:get("other") end
  io.write(string.format("accepted=%d other=%d jobs=%d seconds=%.3f\n", a, o, a * math.max(batch, 1),
    summary.duration / 1e6))
end
LUA

# The processes' own settings; the caller's other GATHER_* variables pass through.
export GATHER_DEMO_ENABLED=false GATHER_HTTP_ACCESS_LOG=false
unset GATHER_DB_URL GATHER_HTTP_PORT GATHER_JOBS_PREFETCH
before=$(busy_ticks); sleep 2; IDLE_CHECK=$(awk -v b="$before" -v a="$(busy_ticks)" -v hz="$(getconf CLK_TCK)" \
  -v n="$(nproc)" 'BEGIN{printf "%.2f", (a - b) / hz / 2}')
PG_VERSION=$(psql_admin -c "SELECT version()" | sed 's/ on .*//')
PG_SETTINGS=$(psql_admin -F= -c "SELECT name, setting FROM pg_settings WHERE name IN ('synchronous_commit', 'fsync',
  'shared_buffers', 'max_connections', 'wal_sync_method', 'commit_delay', 'autovacuum') ORDER BY name" | paste -sd' ')

start_gather() { # name, port, database, prefetch[, config file (--conf; default: conf/config.json as gather reads it)] -> pid in LAST_PID
  local conf=()
  [ -z "${5:-}" ] || conf=(--conf "$5")
  # shellcheck disable=SC2086  # JAVA_OPTS is a list of options
  GATHER_DB_URL="$DB_BASE/$3" GATHER_HTTP_PORT=$2 GATHER_JOBS_PREFETCH=$4 \
    java ${JAVA_OPTS:-} -jar "$JAR" "${conf[@]}" > "$WORK/$1.log" 2>&1 &
  LAST_PID=$!
  PIDS+=("$LAST_PID")
  wait_ready "http://127.0.0.1:$2/health/ready" 120 "$LAST_PID"
}

stop_gather() { # pid -> STOPPED: "exit code N" or a complaint (not in a subshell: wait needs its child)
  local pid=$1 rc=0
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then STOPPED="still running 20 s after TERM (the exit trap kills it)"; return; fi
  wait "$pid" || rc=$?
  local kept=()
  for p in "${PIDS[@]}"; do [ "$p" = "$pid" ] || kept+=("$p"); done
  PIDS=("${kept[@]}")
  STOPPED="exit code $rc"
}

q() { psql "$DB_BASE/$DB" -X -q -v ON_ERROR_STOP=1 -At -F'|' "$@"; }

wait_drained() { # lowest id of the batch minus one -> 0 once no job of it is queued or running
  local deadline=$((SECONDS + DRAIN_TIMEOUT)) left
  while :; do
    left=$(q -c "SELECT count(*) FROM jobs WHERE id > $1 AND status IN ('queued', 'running')")
    [ "$left" = 0 ] && return 0
    [ $SECONDS -lt $deadline ] || { echo "$left jobs still queued or running after $DRAIN_TIMEOUT s" >&2; return 1; }
    sleep 0.25
  done
}

# pg_stat_activity of the bench database every 0.5 s: what each active backend was doing and waiting for.
SAMPLER_PID=
# The statements come from .sql files whose leading comments reach the server too: they are skipped before matching.
cat > "$WORK/sample.sql" <<'SQL'
SELECT CASE WHEN q LIKE 'INSERT INTO jobs%' THEN 'enqueue' WHEN q LIKE 'WITH next%' THEN 'claim'
    WHEN q LIKE 'WITH o AS%' THEN 'finish' WHEN q LIKE 'UPDATE jobs % SET lease%' OR q LIKE 'UPDATE jobs SET lease%' THEN 'heartbeat'
    WHEN q LIKE 'WITH lim AS%' THEN 'claim (limited)' WHEN q LIKE 'SELECT count(pg_advisory_xact_lock%' THEN 'kind lock'
    WHEN q LIKE 'WITH expired%' THEN 'rescue' WHEN q LIKE 'LISTEN%' OR q LIKE 'UNLISTEN%' THEN 'listen'
    WHEN q LIKE 'SELECT status, kind, count%' THEN 'depth' WHEN q LIKE 'SELECT pg_notify%' THEN 'notify'
    WHEN q LIKE 'SELECT id, kind, input, status%' THEN 'read job'
    WHEN q LIKE 'ANALYZE%' THEN 'analyze' WHEN q LIKE 'DELETE FROM jobs%' OR q LIKE 'WITH old AS%' THEN 'clean' ELSE left(regexp_replace(q, '\s+', ' ', 'g'), 30) END,
    w
  FROM (SELECT regexp_replace(query, '^(\s*--[^\n]*\n|\s+)*', '') AS q, COALESCE(wait_event_type || ':' || wait_event, 'on CPU') AS w
    FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' AND pid <> pg_backend_pid()) a
  UNION ALL SELECT '#poll', '' \watch 0.5
SQL
# v2 also counts the jobs running or claimed ahead at each sample (what its concurrency limit counts), to show
# whether the limit was ever reached; the other modes keep the sampler as it was.
{ sed '$d' "$WORK/sample.sql"; echo "  UNION ALL SELECT '#running', count(*)::text FROM jobs WHERE status = 'running'"
  tail -1 "$WORK/sample.sql"; } > "$WORK/sample-v2.sql"
start_sampler() { # file[, sql file]
  [ "$SAMPLE" = 1 ] || return 0
  psql "$DB_BASE/$DB" -X -q -At -F'|' -f "${2:-$WORK/sample.sql}" > "$1" 2>/dev/null &
  SAMPLER_PID=$!
  PIDS+=("$SAMPLER_PID")
}
stop_sampler() {
  [ -n "$SAMPLER_PID" ] || return 0
  kill "$SAMPLER_PID" 2>/dev/null || true
  wait "$SAMPLER_PID" 2>/dev/null || true
  local kept=()
  for p in "${PIDS[@]}"; do [ "$p" = "$SAMPLER_PID" ] || kept+=("$p"); done
  PIDS=("${kept[@]}")
  SAMPLER_PID=
}
samples_summary() { # file -> "statement wait × count, ..." (the commonest 6); samples = lines with a '|'
  [ "$SAMPLE" = 1 ] || { echo "not sampled"; return; }
  local polls; polls=$(grep -c '^#poll|' "$1" || true)
  # "|| true": with pipefail, a run where nothing was ever active (grep -v finds no line) or head closing the pipe
  # early would otherwise end the whole script.
  grep '|' "$1" | grep -v '^#' | sort | uniq -c | sort -rn | head -6 |
    awk -v p="$polls" '{c = $1; $1 = ""; sub(/^ /, ""); split($0, f, "|"); printf "%s%s %s: %.1f", (NR > 1 ? ", " : ""), f[1], f[2], p ? c / p : 0}
      END {if (NR == 0) printf "none active"}' || true
}
peak_running() { # v2 samples file -> the most jobs running or claimed ahead in one sample
  awk -F'|' '$1 == "#running" && $2 > m {m = $2} END {printf "%d", m}' "$1"
}

# Enqueues $1 jobs through HTTP, half to each process, one wrk per process; raw output in $WORK/$2.{a,b}.wrk.
# $3: jobs per request; 0 (or none) POSTs /jobs one by one, n > 0 POSTs /jobs/batch with n jobs, total / n requests.
requests_per_thread() { # jobs, batch -> the answers each wrk thread waits for
  local per_request=$(( ${2:-0} > 0 ? $2 : 1 ))
  echo $(( ( ($1 + per_request - 1) / per_request + 2 * THREADS - 1) / (2 * THREADS) ))
}
# $4: unique (v2) for POST /jobs with a unique key per request; every call gets keys of its own (ENQUEUES).
ENQUEUES=0
enqueue_http() {
  local total=$1 name=$2 batch=${3:-0} unique=${4:-} per_thread wa wb port pids=() path=/jobs conns=$CONNECTIONS
  per_thread=$(requests_per_thread "$total" "$batch")
  if [ "$batch" -gt 0 ]; then path=/jobs/batch; conns=$BATCH_CONNECTIONS; fi
  rm -f "$WORK/$name".*.done.*
  ENQUEUES=$((ENQUEUES + 1))
  for port in "$PORT_A" "$PORT_B"; do
    local side; side=$([ "$port" = "$PORT_A" ] && echo a || echo b)
    # Keys: 1e10 per enqueue, 1e9 per wrk, 1e7 per thread (at most 99 threads, fewer than 1e7 requests each).
    local base=; [ -z "$unique" ] || base=$((ENQUEUES * 10000000000 + $([ "$side" = a ] && echo 0 || echo 1000000000)))
    WRK_UNIQUE_BASE=$base WRK_QUOTA=$per_thread WRK_BATCH=$batch WRK_DONE="$WORK/$name.$side.done" wrk -t"$THREADS" -c"$conns" -d300s \
      --timeout 10s -s "$WORK/enqueue.lua" "http://127.0.0.1:$port$path" > "$WORK/$name.$side.wrk" 2>&1 &
    pids+=($!)
    PIDS+=($!)
  done
  wa=${pids[0]}; wb=${pids[1]}
  # SIGINT ends a wrk once all its threads are done (wrk prints its report then), polled every 20 ms.
  local stopped_a=0 stopped_b=0
  while [ $stopped_a = 0 ] || [ $stopped_b = 0 ]; do
    if [ $stopped_a = 0 ] && [ "$(compgen -G "$WORK/$name.a.done.*" | wc -l)" -ge "$THREADS" ]; then kill -INT "$wa"; stopped_a=1; fi
    if [ $stopped_b = 0 ] && [ "$(compgen -G "$WORK/$name.b.done.*" | wc -l)" -ge "$THREADS" ]; then kill -INT "$wb"; stopped_b=1; fi
    kill -0 "$wa" 2>/dev/null || stopped_a=1
    kill -0 "$wb" 2>/dev/null || stopped_b=1
    sleep 0.02
  done
  local rc=0
  wait "$wa" || rc=$?
  wait "$wb" || rc=$?
  local kept=()
  for p in "${PIDS[@]}"; do [ "$p" = "$wa" ] || [ "$p" = "$wb" ] || kept+=("$p"); done
  PIDS=("${kept[@]}")
  [ "$rc" = 0 ] || { echo "wrk failed (exit $rc); see $WORK/$name.*.wrk" >&2; return 1; }
}
wrk_value() { awk -v k="$2" '/^accepted=/{for (i = 1; i <= NF; i++) {split($i, kv, "="); if (kv[1] == k) print kv[2]}}' "$1"; }

THROUGHPUT_ROWS=()
declare -A E2E=() # "prefetch mode run" -> end-to-end jobs/s, for the v2 comparison
CORRECTNESS_ROWS=()
DETAIL_LINES=()

# The figures of one batch (ids above $1), from the table. Times are the database's: created_at is the enqueue
# transaction's now(), started_at the claim's, finished_at the completing UPDATE's.
batch_stats() { # lo, start epoch (sql mode: just after the INSERT committed; http: empty = min(created_at))
  local t0=NULL::timestamptz
  [ -z "$2" ] || t0="to_timestamp($2)"
  q -c "WITH b AS (SELECT * FROM jobs WHERE id > $1),
    t AS (SELECT min(created_at) AS first_in, max(created_at) AS last_in, max(finished_at) AS last_out,
      min(started_at) AS first_claim, $t0 AS t0 FROM b)
    SELECT count(*),
      count(*) FILTER (WHERE status = 'succeeded'), count(*) FILTER (WHERE status = 'failed'),
      count(*) FILTER (WHERE status NOT IN ('succeeded', 'failed')), count(*) FILTER (WHERE attempts <> 1),
      COALESCE(sum(rescues), 0),
      round(extract(epoch FROM (SELECT last_in - first_in FROM t))::numeric, 3),
      round(extract(epoch FROM (SELECT last_out - COALESCE(t0, first_in) FROM t))::numeric, 3),
      count(*) FILTER (WHERE finished_at > (SELECT last_in FROM t)),
      round(extract(epoch FROM (SELECT last_out - last_in FROM t))::numeric, 3),
      round(extract(epoch FROM (SELECT first_claim - COALESCE(t0, first_in) FROM t))::numeric, 3),
      round((1000 * percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM finished_at - created_at)))::numeric, 0),
      round((1000 * percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM finished_at - created_at)))::numeric, 0),
      round((1000 * max(extract(epoch FROM finished_at - created_at)))::numeric, 0)
    FROM b"
}
owner_split() { # lo -> "A n (p %) / B n (p %)" by the pid in lease_owner (host/pid/random)
  q -c "SELECT split_part(lease_owner, '/', 2), count(*) FROM jobs WHERE id > $1 AND status = 'succeeded' GROUP BY 1" |
    awk -F'|' -v a="$A_PID" -v b="$B_PID" '{n[$1] = $2; t += $2}
      END {printf "A %d (%.0f %%) / B %d (%.0f %%)", n[a], t ? 100 * n[a] / t : 0, n[b], t ? 100 * n[b] / t : 0;
        for (p in n) if (p != a && p != b) printf " / pid %s %d", p, n[p]}'
}
per_second() { # lo, column -> counts per whole second since the batch's first created_at, zeros included
  q -c "WITH b AS (SELECT $2 AS t FROM jobs WHERE id > $1), s AS (SELECT min(created_at) AS t0 FROM jobs WHERE id > $1),
    k AS (SELECT floor(extract(epoch FROM t - s.t0))::int AS sec FROM b, s WHERE t IS NOT NULL)
    SELECT COALESCE(count(k.sec), 0) FROM generate_series(0, (SELECT max(sec) FROM k)) g
      LEFT JOIN k ON k.sec = g GROUP BY g ORDER BY g" | paste -sd' '
}

measure() { # mode, prefetch, run label
  local mode=$1 prefetch=$2 run=$3 name="p$2-$1-$3" lo t0= accepted="" accepted_jobs="" other="" wrk_s="" cpu0 cpu_enq="" cpu_all
  lo=$(q -c "SELECT COALESCE(max(id), 0) FROM jobs")
  local a0 b0 wa0 wb0; a0=$(runs_done "$PORT_A"); b0=$(runs_done "$PORT_B")
  wa0=$(pool_wait "$PORT_A"); wb0=$(pool_wait "$PORT_B")
  echo "prefetch $prefetch, run $run, $mode: $JOBS jobs$([ "$mode" = batch ] && echo ", $BATCH per request")" >&2
  start_sampler "$WORK/$name.samples" "$([ "$mode" = v2 ] && echo "$WORK/sample-v2.sql")"
  cpu0=$(cpu_snapshot)
  if [ "$mode" != sql ]; then
    enqueue_http "$JOBS" "$name" "$([ "$mode" = batch ] && echo "$BATCH" || echo 0)" "$([ "$mode" = v2 ] && echo unique)"
    cpu_enq=$(cpu_split "$cpu0" "$(cpu_snapshot)")
    accepted=$(( $(wrk_value "$WORK/$name.a.wrk" accepted) + $(wrk_value "$WORK/$name.b.wrk" accepted) ))
    accepted_jobs=$(( $(wrk_value "$WORK/$name.a.wrk" jobs) + $(wrk_value "$WORK/$name.b.wrk" jobs) ))
    other=$(( $(wrk_value "$WORK/$name.a.wrk" other) + $(wrk_value "$WORK/$name.b.wrk" other) ))
    wrk_s=$(awk -v a="$(wrk_value "$WORK/$name.a.wrk" seconds)" -v b="$(wrk_value "$WORK/$name.b.wrk" seconds)" \
      'BEGIN{printf "%.3f", (a > b ? a : b)}')
  else
    # One transaction, so the whole batch becomes visible at once; its NOTIFY wakes both processes at commit.
    # The start of the window is read just before COMMIT (so no claim can precede it; the commit is in the window).
    t0=$(q -c "BEGIN" -c "INSERT INTO jobs (kind, input, max_attempts, timeout_ms)
        SELECT 'cpu.sum', '{\"n\":1}'::jsonb, 3, 300000 FROM generate_series(1, $JOBS)" \
      -c "SELECT pg_notify('gather_jobs', 'cpu.sum')" -c "SELECT extract(epoch FROM clock_timestamp())" -c "COMMIT" |
      grep -E '^[0-9]+\.[0-9]+$' | tail -1)
  fi
  wait_drained "$lo"
  cpu_all=$(cpu_split "$cpu0" "$(cpu_snapshot)")
  stop_sampler
  local s; s=$(batch_stats "$lo" "$t0")
  local total ok failed other_status not_once rescues enq_s e2e_s after drain_s first_claim p50 p99 pmax
  IFS='|' read -r total ok failed other_status not_once rescues enq_s e2e_s after drain_s first_claim p50 p99 pmax <<< "$s"
  local runs=$(( $(runs_done "$PORT_A") - a0 + $(runs_done "$PORT_B") - b0 ))
  local waits="A $(pool_wait_ms "$wa0" "$(pool_wait "$PORT_A")"), B $(pool_wait_ms "$wb0" "$(pool_wait "$PORT_B")")"
  local split; split=$(owner_split "$lo")
  rate() { awk -v n="$1" -v s="$2" 'BEGIN{if (s > 0) printf "%.0f", n / s; else printf "-"}'; }
  E2E["$prefetch $mode $run"]=$(rate "$ok" "$e2e_s")
  if [ "$mode" = v2 ]; then
    THROUGHPUT_ROWS+=("| $prefetch | $run | v2: POST /jobs, unique + $V2_LIMITS, both working | $total | $(rate "$accepted" "$wrk_s") ($accepted in $wrk_s s)"\
" | $(rate "$total" "$enq_s") | **$(rate "$ok" "$e2e_s")** ($ok in $e2e_s s) | $after in $drain_s s = $(rate "$after" "$drain_s")"\
" | $p50 / $p99 / $pmax | $split | $cpu_enq | $cpu_all |")
  elif [ "$mode" = http ]; then
    THROUGHPUT_ROWS+=("| $prefetch | $run | http: POST /jobs, both working | $total | $(rate "$accepted" "$wrk_s") ($accepted in $wrk_s s)"\
" | $(rate "$total" "$enq_s") | **$(rate "$ok" "$e2e_s")** ($ok in $e2e_s s) | $after in $drain_s s = $(rate "$after" "$drain_s")"\
" | $p50 / $p99 / $pmax | $split | $cpu_enq | $cpu_all |")
  elif [ "$mode" = batch ]; then
    THROUGHPUT_ROWS+=("| $prefetch | $run | batch: POST /jobs/batch ×$BATCH, both working | $total"\
" | $(rate "$accepted_jobs" "$wrk_s") ($accepted_jobs in $wrk_s s; $(rate "$accepted" "$wrk_s") requests/s)"\
" | $(rate "$total" "$enq_s") | **$(rate "$ok" "$e2e_s")** ($ok in $e2e_s s) | $after in $drain_s s = $(rate "$after" "$drain_s")"\
" | $p50 / $p99 / $pmax | $split | $cpu_enq | $cpu_all |")
  else
    THROUGHPUT_ROWS+=("| $prefetch | $run | sql: bulk INSERT, claim→complete only | $total | - | -"\
" | **$(rate "$ok" "$e2e_s")** ($ok in $e2e_s s from commit; first claim after $first_claim s) | -"\
" | $p50 / $p99 / $pmax | $split | - | $cpu_all |")
  fi
  CORRECTNESS_ROWS+=("| $prefetch | $run | $mode$([ "$mode" = batch ] && echo " ×$BATCH") | $total | $ok | $failed | $other_status | $not_once | $rescues | $runs"\
" | ${other:--} | $([ "$ok" = "$total" ] && [ "$not_once" = 0 ] && [ "$runs" = "$total" ] && echo yes || echo '**NO**') |")
  DETAIL_LINES+=("- prefetch $prefetch, run $run, $mode$([ "$mode" = batch ] && echo " ×$BATCH"): active backends by statement and wait event (mean per 0.5 s sample):\
 $(samples_summary "$WORK/$name.samples")")
  if [ "$mode" = v2 ]; then
    DETAIL_LINES+=("  - v2: jobs with a unique key $(q -c "SELECT count(*) FILTER (WHERE unique_key IS NOT NULL) || ' of ' || count(*) FROM jobs WHERE id > $lo");\
 most jobs running or claimed ahead in one 0.5 s sample $([ "$SAMPLE" = 1 ] && peak_running "$WORK/$name.samples" || echo '(not sampled)') (concurrency limit $V2_LIMIT_NOW)")
  fi
  DETAIL_LINES+=("  - wait for a pooled database connection (vertx_pool_queue_time_seconds; pool gather-db serves HTTP, gather-db-jobs the workers): $waits")
  DETAIL_LINES+=("  - enqueued per second: $(per_second "$lo" created_at)")
  DETAIL_LINES+=("  - finished per second: $(per_second "$lo" finished_at)")
}

PAIR_LINES=()
PORT_A=${PORT_A:-$(free_port 18180)}
PORT_B=${PORT_B:-$(free_port $((PORT_A + 1)))}

# v2's processes read conf/config.json (as the others do, from the working directory) plus a limit on cpu.sum.
v2_config() { # prefetch -> the config file's path in V2_CONF; V2_LIMIT_NOW and V2_LIMITS (for the report)
  V2_LIMIT_NOW=${V2_CONCURRENCY:-$((2 * ($1 + 64)))}
  local kind rate_limit= period=
  kind=$(jq -n --argjson c "$V2_LIMIT_NOW" '{concurrency: {limit: $c}}')
  V2_LIMITS="concurrency.limit $V2_LIMIT_NOW"
  if [ -n "$V2_RATE" ]; then
    rate_limit=${V2_RATE%/*}; period=${V2_RATE#*/}
    kind=$(jq -n --argjson k "$kind" --argjson l "$rate_limit" --argjson p "$period" '$k + {rate: {limit: $l, periodMs: $p}}')
    V2_LIMITS="$V2_LIMITS, rate.limit $rate_limit per $period ms"
  fi
  local file="$WORK/v2-p$1.json"
  if [ -f conf/config.json ]; then
    jq --argjson k "$kind" '.jobs.kinds["cpu.sum"] = $k' conf/config.json > "$file"
  else
    jq -n --argjson k "$kind" '{jobs: {kinds: {"cpu.sum": $k}}}' > "$file"
  fi
  V2_CONF=$file
}

run_pair() { # prefetch, setup ("plain": the modes other than v2, on gather's config as it is; "v2": v2 alone)
  local prefetch=$1 setup=$2 suffix= conf= modes=("${PLAIN_MODES[@]}")
  if [ "$setup" = v2 ]; then suffix=-v2; modes=(v2); v2_config "$prefetch"; conf=$V2_CONF; fi
  DB="gather_bench_$(date +%s)_$$_p$prefetch${suffix/-/_}"
  psql_admin -c "CREATE DATABASE $DB"
  DBS+=("$DB")
  echo "prefetch $prefetch$suffix: database $DB, process A on :$PORT_A, B on :$PORT_B${conf:+, config $conf}" >&2
  # One after the other: the first one applies the migrations.
  start_gather "a-p$prefetch$suffix" "$PORT_A" "$DB" "$prefetch" "$conf"; A_PID=$LAST_PID
  start_gather "b-p$prefetch$suffix" "$PORT_B" "$DB" "$prefetch" "$conf"; B_PID=$LAST_PID
  rss_a0=$(( $(ps -o rss= -p "$A_PID") / 1024 )); rss_b0=$(( $(ps -o rss= -p "$B_PID") / 1024 ))
  local limits_seen=
  if [ "$setup" = v2 ]; then
    limits_seen=$(curl -s "http://127.0.0.1:$PORT_A/jobs/kinds" | jq -c '.items[] | select(.kind == "cpu.sum") | .limits')
    echo "prefetch $prefetch$suffix: GET /jobs/kinds on A, cpu.sum limits: $limits_seen" >&2
  fi

  local lo
  if [ "$setup" = v2 ]; then
    echo "prefetch $prefetch$suffix: warm-up, $WARMUP_JOBS unique jobs through HTTP (figures discarded)" >&2
    lo=$(q -c "SELECT COALESCE(max(id), 0) FROM jobs")
    enqueue_http "$WARMUP_JOBS" "p$prefetch$suffix-warmup" 0 unique
    wait_drained "$lo"
  else
    echo "prefetch $prefetch: warm-up, $WARMUP_JOBS jobs through HTTP (figures discarded)" >&2
    lo=$(q -c "SELECT COALESCE(max(id), 0) FROM jobs")
    enqueue_http "$WARMUP_JOBS" "p$prefetch-warmup"
    wait_drained "$lo"
    if [ "$BATCHED" = 1 ]; then
      echo "prefetch $prefetch: warm-up, $WARMUP_JOBS jobs through POST /jobs/batch (figures discarded)" >&2
      lo=$(q -c "SELECT COALESCE(max(id), 0) FROM jobs")
      enqueue_http "$WARMUP_JOBS" "p$prefetch-warmup-batch" "$BATCH"
      wait_drained "$lo"
    fi
  fi
  if [ "$ANALYZE" = 1 ]; then q -c "ANALYZE jobs"; fi

  local run mode
  for run in $(seq "$RUNS"); do
    for mode in "${modes[@]}"; do measure "$mode" "$prefetch" "$run"; done
  done

  local table_rows peak_a peak_b exit_a exit_b
  table_rows=$(q -c "SELECT count(*), pg_size_pretty(pg_total_relation_size('jobs')) FROM jobs" | tr '|' ' ')
  peak_a=$(awk '/^VmHWM/{printf "%d", $2 / 1024}' "/proc/$A_PID/status")
  peak_b=$(awk '/^VmHWM/{printf "%d", $2 / 1024}' "/proc/$B_PID/status")
  echo "prefetch $prefetch$suffix: stopping both (TERM)" >&2
  stop_gather "$A_PID"; exit_a=$STOPPED
  stop_gather "$B_PID"; exit_b=$STOPPED
  warns() {
    local n; n=$(grep -cE ' (WARN|ERROR) ' "$WORK/$1.log" || true)
    echo "$n$( [ "$n" -gt 0 ] && grep -E ' (WARN|ERROR) ' "$WORK/$1.log" | sed -E 's/^[0-9:.]+ +//; s/\[[^]]*\] //' |
      cut -c1-140 | sort | uniq -c | sort -rn | head -1 | sed -E 's/^ *([0-9]+) (.*)/ (commonest: `\2` × \1)/')"
  }
  PAIR_LINES+=("- prefetch $prefetch$([ "$setup" = v2 ] && echo ", v2 pair (config: conf/config.json plus jobs.kinds.\"cpu.sum\" = $(jq -c '.jobs.kinds["cpu.sum"]' "$conf"); GET /jobs/kinds showed limits $limits_seen)"):\
 database $DB; A pid $A_PID (:$PORT_A), B pid $B_PID (:$PORT_B);\
 RSS after start $rss_a0 / $rss_b0 MiB, peak $peak_a / $peak_b MiB; jobs table at the end: $table_rows;\
 after TERM: A $exit_a, B $exit_b; WARN/ERROR log lines: A $(warns "a-p$prefetch$suffix"), B $(warns "b-p$prefetch$suffix")")
  if [ "${KEEP_DB:-0}" != 1 ]; then
    psql_admin -c "DROP DATABASE $DB"
    local kept=() d; for d in "${DBS[@]}"; do [ "$d" = "$DB" ] || kept+=("$d"); done; DBS=("${kept[@]}")
  fi
}

for prefetch in "${PREFETCHES[@]}"; do
  [ ${#PLAIN_MODES[@]} = 0 ] || run_pair "$prefetch" plain
  [ "$V2" = 0 ] || run_pair "$prefetch" v2
done

# ---- the report ----
PASSED=$(env | grep -E '^GATHER_' | grep -vE '^GATHER_(DEMO_ENABLED|HTTP_ACCESS_LOG|DB_URL_BASE)=' | sort | paste -sd' ' || true)
# The jar carries no commit: say which checkout it sits in (a clone, when built outside the work tree) and its HEAD.
JAR_REPO=$(git -C "$(dirname "$JAR")" rev-parse --show-toplevel 2>/dev/null || pwd)
head_time=$(git -C "$JAR_REPO" log -1 --format=%ct 2>/dev/null || echo 0)
echo "# gather durable-jobs benchmark, $(date -u '+%F %H:%M UTC')"
echo
echo "- machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(free -g | awk '/Mem:/{print $2}') GiB;" \
     "busy before the run (other processes): $IDLE_CHECK cores"
echo "- java: $(java -version 2>&1 | head -1); JAVA_OPTS='${JAVA_OPTS:-}'"
echo "- PostgreSQL: $PG_VERSION at ${DB_BASE#*@}; $PG_SETTINGS"
echo "- gather: $JAR_REPO at HEAD $(git -C "$JAR_REPO" rev-parse --short HEAD 2>/dev/null || echo '?') (committed $(date -u -d "@$head_time" '+%F %H:%M UTC'));" \
     "jar $JAR built $(date -u -r "$JAR" '+%F %H:%M UTC'), sha256 $(sha256sum "$JAR" | cut -c1-12)"
echo "- setup: two gather processes (A, B) on one database, each with its defaults except jobs.prefetch" \
     "(GATHER_* passed through: ${PASSED:-none};" \
     "demo off, access log off); jobs: cpu.sum {\"n\":1} (a no-op: the cost is all queue)"
if [ "$V2" = 1 ]; then
  echo "- v2: a pair of processes and a database of its own per prefetch, after the other modes' pair, with" \
       "conf/config.json plus jobs.kinds.\"cpu.sum\" = {$V2_LIMITS} (--conf); jobs" \
       "{\"kind\":\"cpu.sum\",\"input\":{\"n\":1,\"i\":<new each request>},\"unique\":{\"by\":[\"kind\",\"input.i\"]}}," \
       "warm-up of its own through the same path; $([ -z "$V2_CONCURRENCY" ] && echo "the concurrency limit is 2 × (prefetch + 64), more than both" \
       "processes can hold (prefetch plus workers each), so it never binds: the figure is the cost of the limited claim path and" \
       "of the unique key, not of waiting for a slot" || echo "V2_CONCURRENCY=$V2_CONCURRENCY given: the limit may bind")"
fi
echo "- knobs: JOBS=$JOBS per run, WARMUP_JOBS=$WARMUP_JOBS (HTTP, discarded), PREFETCH=\"${PREFETCHES[*]}\"," \
     "MODES=\"${MODE_LIST[*]}\", RUNS=$RUNS, ANALYZE=$ANALYZE$([ "$ANALYZE" = 1 ] && echo ' (ANALYZE jobs after the warm-up)' || echo ' (jobs never analyzed)'); enqueue: one wrk per process, -t$THREADS -c$CONNECTIONS, each stopping" \
     "after $(requests_per_thread "$JOBS" 0) answers per thread$([ "$BATCHED" = 1 ] && echo "; batch: BATCH=$BATCH jobs per POST /jobs/batch," \
       "-t$THREADS -c$BATCH_CONNECTIONS, each wrk thread stopping after $(requests_per_thread "$JOBS" "$BATCH") answers")"
echo
echo "## Throughput"
echo
echo "- wrk 202/s: accepted answers per second of the slower wrk's run time (both wrk together); in batch mode the" \
     "jobs of those answers (answers × BATCH) per second, requests per second after them."
echo "- enqueue/s (SQL): jobs / (last created_at − first created_at)."
echo "- enqueue/s and every other rate count jobs, in batch mode too (never requests)."
echo "- end-to-end jobs/s: succeeded / (last finished_at − first created_at); in sql mode from the moment the bulk" \
     "INSERT committed instead, so it measures claim → run → complete only."
echo "- after enqueuing stopped: jobs finished after the last created_at and how long that took (the backlog's drain rate)."
echo "- latency: finished_at − created_at, ms (in sql mode every job was created at the same instant)."
[ "$V2" = 0 ] || echo "- v2 rows: the same figures as http, from v2's own pair of processes and database."
echo "- CPU, in cores: process A / process B / PostgreSQL (all its processes) / the rest (wrk, psql, other)."
echo
echo "| prefetch | run | mode | jobs | wrk 202/s | enqueue/s (SQL) | end-to-end jobs/s | after enqueuing stopped | latency p50 / p99 / max (ms) | split by lease_owner | CPU while enqueuing | CPU whole run |"
echo "|---:|---:|---|---:|---:|---:|---:|---|---:|---|---|---|"
printf '%s\n' "${THROUGHPUT_ROWS[@]}"
echo
if [ "$V2" = 1 ]; then
  echo "## v2 against plain jobs (issue 17: at most 30 % slower)"
  echo
  echo "End-to-end jobs/s of each v2 run next to the http run of the same prefetch and number (both POST /jobs," \
       "one job per request, JOBS=$JOBS, -c$CONNECTIONS per wrk). \"At most 30 % slower\" is read as v2 ≥ 0.70 × plain" \
       "(plain / v2 ≤ 1.43); the stricter reading plain / v2 ≤ 1.30 (v2 ≥ 0.77 × plain) has a column of its own." \
       "The two pairs ran one after the other, so drift of a shared machine lands in the ratio; compare several runs."
  echo
  echo "| prefetch | run | plain http jobs/s | v2 jobs/s | plain / v2 | v2 slower by | ≤ 30 % slower (v2 ≥ 0.70 × plain) | plain / v2 ≤ 1.30 |"
  echo "|---:|---:|---:|---:|---:|---:|---|---|"
  for prefetch in "${PREFETCHES[@]}"; do
    sum_plain=0; sum_v2=0; pairs=0
    for run in $(seq "$RUNS"); do
      plain=${E2E["$prefetch http $run"]:--}; v2=${E2E["$prefetch v2 $run"]:--}
      if [[ $plain =~ ^[0-9]+$ ]] && [[ $v2 =~ ^[0-9]+$ ]] && [ "$v2" -gt 0 ]; then
        sum_plain=$((sum_plain + plain)); sum_v2=$((sum_v2 + v2)); pairs=$((pairs + 1))
      fi
      awk -v f="$prefetch" -v r="$run" -v p="$plain" -v v="$v2" 'BEGIN {
        if (p ~ /^[0-9]+$/ && v ~ /^[0-9]+$/ && v > 0 && p > 0)
          printf "| %s | %s | %d | %d | **%.2f** | %.0f %% | %s | %s |\n", f, r, p, v, p / v, 100 * (1 - v / p),
            v >= 0.70 * p ? "yes" : "**no**", p / v <= 1.30 ? "yes" : "**no**"
        else printf "| %s | %s | %s | %s | - | - | - (needs http and v2 in MODES) | - |\n", f, r, p, v }'
    done
    if [ "$pairs" -gt 1 ]; then
      awk -v f="$prefetch" -v n="$pairs" -v p="$sum_plain" -v v="$sum_v2" 'BEGIN {
        printf "| %s | mean of %d | %.0f | %.0f | **%.2f** | %.0f %% | %s | %s |\n", f, n, p / n, v / n, p / v, 100 * (1 - v / p),
          v >= 0.70 * p ? "yes" : "**no**", p / v <= 1.30 ? "yes" : "**no**" }'
    fi
  done
  echo
fi
echo "## Correctness"
echo
echo "attempts ≠ 1: jobs claimed more than once (or never); runs: cpu.sum runs that ended in success, summed over" \
     "both processes' /metrics (gather_job_seconds_count) across the run, so a job run twice counts twice;" \
     "non-202: answers of wrk that were not 202 (in batch mode requests of BATCH jobs each)."
echo
echo "| prefetch | run | mode | jobs | succeeded | failed | other status | attempts ≠ 1 | rescues | runs | non-202 | every job succeeded exactly once |"
echo "|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"
printf '%s\n' "${CORRECTNESS_ROWS[@]}"
echo
echo "Every job of every run succeeded exactly once: $(printf '%s\n' "${CORRECTNESS_ROWS[@]}" | grep -q 'NO\*\*' && echo '**NO**' || echo yes)"
echo
echo "## Details"
echo
printf '%s\n' "${PAIR_LINES[@]}"
printf '%s\n' "${DETAIL_LINES[@]}"
