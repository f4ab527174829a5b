#!/usr/bin/env bash
# Scale-out check: TWO gather processes on different ports against ONE PostgreSQL database, as two replicas of
# k8s/ or `docker compose up --scale gather=2` run. It builds nothing. From the repo root:
#
#   bench/scaleout.sh                       (about 20 s: a fresh database, the demo upstream, two gathers)
#   JOBS=5000 JOB_MS=5 bench/scaleout.sh
#
# It checks, and prints as Markdown:
#   1. both processes answer the aggregates of conf/config.json (the upstream "demo" is one demo upstream process
#      started here; gather's in-process demo is off): GET /aggregate/dashboard/1 is 200 and complete on each, and
#      its SQL source sees the user created through the other process (one database);
#   2. JOBS durable jobs POSTed to process A only (POST /jobs/batch) are run by both processes, each job exactly
#      once: from the jobs table (status, attempts, lease_owner = host/pid/random of the process that ran it) and
#      from each process's own count of runs (gather_job_attempts_total on /metrics).
# The exit code is 0 only if every check passed.
#
# Knobs (environment): JAR (default target/gather.jar), JOBS (default 2000), JOB_MS (each job is the built-in
# `sleep` kind for this many ms, default 20: long enough that one process cannot drain the queue alone before the
# other wakes up), GATHER_DB_URL_BASE (server without the database, default postgresql://postgres@127.0.0.1:5432;
# psql must reach it too), PORT_A / PORT_B / DEMO_PORT (default: the first free ports from 18280 / 18290),
# TIMEOUT (seconds for the queue to drain, default 120), JAVA_OPTS (every JVM), KEEP_DB=1.
set -euo pipefail
cd "$(dirname "$0")/.."

JAR=${JAR:-target/gather.jar}
JOBS=${JOBS:-2000}
JOB_MS=${JOB_MS:-20}
TIMEOUT=${TIMEOUT:-120}
DB_BASE=${GATHER_DB_URL_BASE:-postgresql://postgres@127.0.0.1:5432}
DB_BASE=${DB_BASE%/}
for n in "$JOBS" "$JOB_MS" "$TIMEOUT"; do
  [[ $n =~ ^[0-9]+$ ]] || { echo "JOBS, JOB_MS and TIMEOUT must be numbers, not $n" >&2; exit 2; }
done
for tool in java curl psql awk sed; do command -v "$tool" > /dev/null || { echo "bench/scaleout.sh needs $tool" >&2; exit 2; }; done
[ -f "$JAR" ] || { echo "no $JAR: build it first (./mvnw -B -q -DskipTests package), or give JAR=path/to/gather.jar" >&2; exit 2; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/gather-scaleout.XXXXXX")
PIDS=()
DB="gather_scaleout_$(date +%s)_$$"
DB_CREATED=0
psql_admin() { psql "$DB_BASE/postgres" -X -q -v ON_ERROR_STOP=1 -At "$@"; }
q() { psql "$DB_BASE/$DB" -X -q -v ON_ERROR_STOP=1 -At -F'|' "$@"; }
source bench/lib.sh # free_port, wait_ready, busy_ticks, stop_pids (the script runs from the repository root)
cleanup() {
  # Only the processes this script started, by pid: TERM (gather drains and exits 0), KILL if still there after 15 s.
  stop_pids 15 "${PIDS[@]}"
  if [ "$DB_CREATED" = 1 ]; then
    if [ "${KEEP_DB:-0}" = 1 ]; then echo "database kept: $DB" >&2
    else psql_admin -c "DROP DATABASE IF EXISTS $DB" 2>/dev/null || echo "could not drop $DB" >&2; fi
  fi
  echo "logs kept in $WORK" >&2
}
trap cleanup EXIT
trap 'exit 130' INT TERM


DEMO_PORT=${DEMO_PORT:-$(free_port 18290)}
PORT_A=${PORT_A:-$(free_port 18280)}
PORT_B=${PORT_B:-$(free_port $((PORT_A + 1)))}
[ "$PORT_B" != "$DEMO_PORT" ] || PORT_B=$(free_port $((DEMO_PORT + 1)))

# conf/config.json as shipped, but with its demo upstream at the port chosen here; the in-process demo stays off.
CONF="$WORK/config.json"
sed "s#http://127.0.0.1:8090#http://127.0.0.1:$DEMO_PORT#" conf/config.json > "$CONF"
grep -q "http://127.0.0.1:$DEMO_PORT" "$CONF" || { echo "conf/config.json has no upstream at http://127.0.0.1:8090" >&2; exit 2; }

psql_admin -c "CREATE DATABASE $DB"
DB_CREATED=1
echo "database $DB; demo upstream :$DEMO_PORT; gather A :$PORT_A, B :$PORT_B; logs in $WORK" >&2

# shellcheck disable=SC2086  # JAVA_OPTS is a list of options
java ${JAVA_OPTS:-} -jar "$JAR" demo --host 127.0.0.1 --port "$DEMO_PORT" --instances 1 > "$WORK/demo.log" 2>&1 &
DEMO_PID=$!; PIDS+=("$DEMO_PID")
wait_ready "http://127.0.0.1:$DEMO_PORT/users/1" 60 "$DEMO_PID"

start_gather() { # name, port -> LAST_PID
  # shellcheck disable=SC2086
  GATHER_DB_URL="$DB_BASE/$DB" GATHER_HTTP_PORT=$2 GATHER_DEMO_ENABLED=false GATHER_HTTP_ACCESS_LOG=false \
    GATHER_JOBS_FILES_DIR="$WORK/files-$1" java ${JAVA_OPTS:-} -jar "$JAR" --conf "$CONF" > "$WORK/$1.log" 2>&1 &
  LAST_PID=$!; PIDS+=("$LAST_PID")
  wait_ready "http://127.0.0.1:$2/health/ready" 120 "$LAST_PID"
}
# One after the other: the first applies the migrations.
start_gather a "$PORT_A"; A_PID=$LAST_PID
start_gather b "$PORT_B"; B_PID=$LAST_PID

CHECKS=()
FAILED=0
check() { # description, condition result ("yes"/other)
  if [ "$2" = yes ]; then CHECKS+=("| $1 | yes |"); else CHECKS+=("| $1 | **NO** ($2) |"); FAILED=1; fi
}

# ---- 1. aggregates on both, one database ----
curl -fs -o /dev/null -X POST "http://127.0.0.1:$PORT_A/users" -H 'Content-Type: application/json' \
  -d '{"email":"ada@example.com","name":"Ada"}'
AGG_ROWS=()
for side in A B; do
  port=$([ $side = A ] && echo "$PORT_A" || echo "$PORT_B")
  out=$(curl -s -D "$WORK/agg-$side.headers" -o "$WORK/agg-$side.json" -w '%{http_code} %{time_total}' \
    "http://127.0.0.1:$port/aggregate/dashboard/1")
  status=${out% *}; secs=${out#* }
  complete=$(tr -d '\r' < "$WORK/agg-$side.headers" | awk -F': ' 'tolower($1) == "x-gather-complete" {print $2}')
  account=$(grep -o '"account":\[{"id":1,"email":"ada@example.com"' "$WORK/agg-$side.json" > /dev/null && echo yes || echo no)
  ms=$(awk -v s="$secs" 'BEGIN{printf "%.0f", s * 1000}')
  AGG_ROWS+=("| $side (:$port) | $status | ${complete:-?} | $account | $ms |")
  check "GET /aggregate/dashboard/1 on $side: 200, complete, account row from the shared database" \
    "$([ "$status" = 200 ] && [ "$complete" = true ] && [ "$account" = yes ] && echo yes || echo "status $status, complete ${complete:-?}, account $account")"
done
users_b=$(curl -s "http://127.0.0.1:$PORT_B/users/1" | grep -c '"email":"ada@example.com"' || true)
check "the user created through A is read through B (GET /users/1)" "$([ "$users_b" = 1 ] && echo yes || echo "not found")"

# ---- 2. jobs enqueued on A only, run by both, each once ----
runs() { # port -> runs of kind sleep this process started (gather_job_attempts_total)
  curl -s "http://127.0.0.1:$1/metrics" | awk '/^gather_job_attempts_total\{/ && /kind="sleep"/ {n += $NF} END {printf "%d", n}'
}
runs_a0=$(runs "$PORT_A"); runs_b0=$(runs "$PORT_B")
job="{\"kind\":\"sleep\",\"input\":{\"ms\":$JOB_MS}}"
left=$JOBS
t0=$(date +%s.%N)
while [ "$left" -gt 0 ]; do
  n=$((left > 1000 ? 1000 : left))
  body="{\"jobs\":[$(printf "$job,%.0s" $(seq "$n") | sed 's/,$//')]}"
  status=$(curl -s -o "$WORK/batch.json" -w '%{http_code}' -X POST "http://127.0.0.1:$PORT_A/jobs/batch" \
    -H 'Content-Type: application/json' --data-binary "$body")
  [ "$status" = 202 ] || [ "$status" = 200 ] || { echo "POST /jobs/batch answered $status: $(head -c 300 "$WORK/batch.json")" >&2; exit 1; }
  left=$((left - n))
done
t_enq=$(date +%s.%N)
deadline=$((SECONDS + TIMEOUT))
while :; do
  pending=$(q -c "SELECT count(*) FROM jobs WHERE status IN ('queued', 'running')")
  [ "$pending" = 0 ] && break
  [ $SECONDS -lt $deadline ] || { echo "$pending jobs still queued or running after $TIMEOUT s" >&2; FAILED=1; break; }
  sleep 0.1
done
t_done=$(date +%s.%N)
first_id=$(q -c "SELECT min(id) FROM jobs")
seen_on_b=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT_B/jobs/$first_id")
check "a job enqueued on A is read through B (GET /jobs/$first_id: $seen_on_b)" "$([ "$seen_on_b" = 200 ] && echo yes || echo "$seen_on_b")"

IFS='|' read -r total succeeded other attempts_one attempts_sum rescues owners < <(q -c "SELECT count(*),
    count(*) FILTER (WHERE status = 'succeeded'), count(*) FILTER (WHERE status <> 'succeeded'),
    count(*) FILTER (WHERE attempts = 1), COALESCE(sum(attempts), 0), COALESCE(sum(rescues), 0),
    count(DISTINCT lease_owner) FROM jobs")
split=$(q -c "SELECT split_part(lease_owner, '/', 2), count(*) FROM jobs WHERE status = 'succeeded' GROUP BY 1")
by_a=$(awk -F'|' -v p="$A_PID" '$1 == p {print $2}' <<< "$split"); by_a=${by_a:-0}
by_b=$(awk -F'|' -v p="$B_PID" '$1 == p {print $2}' <<< "$split"); by_b=${by_b:-0}
runs_a=$(( $(runs "$PORT_A") - runs_a0 )); runs_b=$(( $(runs "$PORT_B") - runs_b0 ))
secs() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", b - a}'; }

check "$JOBS jobs in the table, all succeeded" "$([ "$total" = "$JOBS" ] && [ "$succeeded" = "$JOBS" ] && echo yes || echo "$total jobs, $succeeded succeeded, $other other")"
check "every job ran exactly once (attempts = 1 on each, sum of attempts = jobs, no rescue)" \
  "$([ "$attempts_one" = "$JOBS" ] && [ "$attempts_sum" = "$JOBS" ] && [ "$rescues" = 0 ] && echo yes || echo "attempts=1 on $attempts_one, sum $attempts_sum, rescues $rescues")"
check "runs counted by the processes themselves add up to the jobs (A $runs_a + B $runs_b)" \
  "$([ $((runs_a + runs_b)) = "$JOBS" ] && echo yes || echo "$((runs_a + runs_b)) runs")"
check "lease_owner of the jobs agrees with each process's own count (A $by_a / $runs_a, B $by_b / $runs_b)" \
  "$([ "$by_a" = "$runs_a" ] && [ "$by_b" = "$runs_b" ] && [ $((by_a + by_b)) = "$JOBS" ] && echo yes || echo "owners: $split")"
check "both processes ran jobs enqueued on A only" "$([ "$by_a" -gt 0 ] && [ "$by_b" -gt 0 ] && echo yes || echo "A $by_a, B $by_b")"

# ---- stop: both drain and exit 0 ----
stop() { # pid -> STOPPED (not in a subshell: wait needs its own child)
  local rc=0 kept=() p
  kill "$1" 2>/dev/null || true
  for _ in $(seq 200); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$1" 2>/dev/null; then STOPPED="still running 20 s after SIGTERM"; return; fi
  wait "$1" || rc=$?
  for p in "${PIDS[@]}"; do [ "$p" = "$1" ] || kept+=("$p"); done
  PIDS=("${kept[@]}")
  STOPPED=$rc
}
stop "$A_PID"; exit_a=$STOPPED
stop "$B_PID"; exit_b=$STOPPED
check "A and B exit 0 after SIGTERM (A $exit_a, B $exit_b)" "$([ "$exit_a" = 0 ] && [ "$exit_b" = 0 ] && echo yes || echo "A $exit_a, B $exit_b")"

echo "# gather scale-out: two processes, one database ($(date -u '+%F %H:%M UTC'))"
echo
echo "- machine: $(nproc) cores; java: $(java -version 2>&1 | head -1); PostgreSQL: $(psql_admin -c 'SHOW server_version') at ${DB_BASE#*@}"
echo "- jar: $JAR ($(du -h "$JAR" | cut -f1), built $(date -u -r "$JAR" '+%F %H:%M UTC')); config: conf/config.json, demo upstream in its own process on :$DEMO_PORT"
echo "- A: pid $A_PID on :$PORT_A; B: pid $B_PID on :$PORT_B; database $DB"
echo
echo "## Aggregates"
echo
echo "| process | GET /aggregate/dashboard/1 | X-Gather-Complete | account row (user created through A) | ms |"
echo "|---|---:|---|---|---:|"
printf '%s\n' "${AGG_ROWS[@]}"
echo
echo "## Jobs: $JOBS \`sleep\` jobs of $JOB_MS ms, all POSTed to A ($(( (JOBS + 999) / 1000 )) POST /jobs/batch)"
echo
echo "| | A | B | total |"
echo "|---|---:|---:|---:|"
echo "| ran (lease_owner in the jobs table) | $by_a | $by_b | $((by_a + by_b)) |"
echo "| runs started (gather_job_attempts_total) | $runs_a | $runs_b | $((runs_a + runs_b)) |"
echo
echo "- jobs: $total, succeeded $succeeded, other status $other; attempts = 1 on $attempts_one, sum of attempts $attempts_sum, rescues $rescues, distinct lease owners $owners"
echo "- enqueue took $(secs "$t0" "$t_enq") s; all done $(secs "$t0" "$t_done") s after the first POST" \
     "(ideal with 2 × 16 blocking workers: $(awk -v j="$JOBS" -v m="$JOB_MS" 'BEGIN{printf "%.2f", j * m / 1000 / 32}') s)"
echo
echo "## Checks"
echo
echo "| check | passed |"
echo "|---|---|"
printf '%s\n' "${CHECKS[@]}"
echo
if [ "$FAILED" = 0 ]; then echo "All checks passed."; else echo "**Some checks failed.**"; fi
exit "$FAILED"
