#!/usr/bin/env bash
# The older benchmark of gather's fan-out engine alone (bench/run.sh compares gather with the bare Vert.x floor):
# hello, 3 calls, the hedged tail and the 1,000-call fan-out, with the demo upstream. From the repo root:
#
#   bench/fanout.sh [hello|three50|three0|tail|fanout ...] (default: all five, about 6 minutes)
#   bench/fanout.sh | tee bench/results-$(date +%F).md     (the output is Markdown; progress goes to stderr)
#
# Knobs (environment): JAR (default target/gather.jar), DURATION (measured wrk seconds, every scenario),
# WARMUP (wrk seconds thrown away before each measurement), CONNECTIONS (wrk connections), THREADS (wrk),
# GATHER_INSTANCES (http.instances; 0 = one per core), DEMO_INSTANCES (event loops of the demo upstream),
# GATHER_PORT / DEMO_PORT (default: the first free port from 18080 / 19090), JAVA_OPTS (gather's JVM),
# ACCESS_LOG=0 or GATHER_HTTP_ACCESS_LOG=false (gather's per-request access log off; gather reads the latter),
# GATHER_DB_URL (else a throwaway embedded PostgreSQL), TAIL_CONNECTIONS (wrk connections of the tail scenario,
# default 64), HEDGE_AFTER_MS (hedgeAfterMs of the demoHedged upstream: milliseconds or p95; default 20, as in
# bench/gather-bench.json),
# FULL=1 (also 1,000 sequential 1 s calls; deadlineMs is capped at 600,000, so expect a 504 after ~10 minutes).
set -euo pipefail
cd "$(dirname "$0")/.."

JAR=${JAR:-target/gather.jar}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-256}
GATHER_INSTANCES=${GATHER_INSTANCES:-0}
DEMO_INSTANCES=${DEMO_INSTANCES:-2}
SCENARIOS=("$@")
TAIL_CONNECTIONS=${TAIL_CONNECTIONS:-64}
HEDGE_AFTER_MS=${HEDGE_AFTER_MS:-20}
[ ${#SCENARIOS[@]} -gt 0 ] || SCENARIOS=(hello three50 three0 tail fanout)
for scenario in "${SCENARIOS[@]}"; do # fail before starting anything, not after minutes of load
  case $scenario in hello|three50|three0|tail|fanout) ;; *) echo "unknown scenario $scenario (use hello, three50, three0, tail, fanout)" >&2; exit 2 ;; esac
done
[[ $HEDGE_AFTER_MS =~ ^([1-9][0-9]*|p95)$ ]] || { echo "HEDGE_AFTER_MS must be milliseconds or p95, not $HEDGE_AFTER_MS" >&2; exit 2; }
# ACCESS_LOG=0 is the older spelling; gather itself reads GATHER_HTTP_ACCESS_LOG (http.accessLog).
if [ "${ACCESS_LOG:-1}" = 0 ]; then export GATHER_HTTP_ACCESS_LOG=false; fi
ACCESS_LOG_STATE=$([ "${GATHER_HTTP_ACCESS_LOG:-true}" = false ] && echo off || echo on)
for tool in java wrk curl jq ss; do command -v "$tool" > /dev/null || { echo "bench/fanout.sh needs $tool" >&2; exit 2; }; done

# Everything the run leaves behind (logs, raw wrk output, answers) goes here and is kept for inspection.
WORK=$(mktemp -d "${TMPDIR:-/tmp}/gather-bench.XXXXXX")
PIDS=()
source bench/lib.sh # free_port, wait_ready, busy_ticks, stop_pids (the script runs from the repository root)
cleanup() {
  # Only the processes this script started, by pid: TERM first (gather drains and exits 0), KILL if stuck.
  stop_pids 5 "${PIDS[@]}"
  echo "Logs and raw output kept in $WORK" >&2
}
trap cleanup EXIT
trap 'exit 130' INT TERM



# CPU accounting from /proc, in clock ticks: everything busy, and gather's and the demo's own share. On a
# 2-core box shared with wrk this tells "gather is the bottleneck" from "someone else was compiling".
proc_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
cpu_snapshot() { echo "$(busy_ticks) $(proc_ticks "$GATHER_PID") $(proc_ticks "$DEMO_PID") $(date +%s.%N)"; }
cpu_split() { # snapshot before, snapshot after -> "gather / demo / rest" in cores
  echo "$1 $2" | awk -v hz="$(getconf CLK_TCK)" '{s = ($8 - $4) * hz;
    printf "%.2f / %.2f / %.2f", ($6 - $2) / s, ($7 - $3) / s, (($5 - $1) - ($6 - $2) - ($7 - $3)) / s}'
}

if [ ! -f "$JAR" ]; then
  echo "building $JAR ..." >&2
  ./mvnw -B -q package -DskipTests >&2
fi
GATHER_PORT=${GATHER_PORT:-$(free_port 18080)}
DEMO_PORT=${DEMO_PORT:-$(free_port 19090)}
BASE=http://127.0.0.1:$GATHER_PORT

# Load from other processes skews everything on 2 cores: measure it before starting ours.
before=$(busy_ticks); sleep 2; IDLE_CHECK=$(awk -v b="$before" -v a="$(busy_ticks)" -v hz="$(getconf CLK_TCK)" \
  'BEGIN{printf "%.2f", (a - b) / hz / 2}')

# The upstream URLs live only in the file (no env override), so the port is written into a copy; every upstream
# is the same demo process (the tail scenario needs two: hedging is configured per upstream, not per source).
jq --arg url "http://127.0.0.1:$DEMO_PORT" --arg hedge "$HEDGE_AFTER_MS" \
  '.upstreams |= map_values(.url = $url)
   | .upstreams.demoHedged.hedgeAfterMs = (if $hedge == "p95" then "p95" else ($hedge | tonumber) end)' \
  bench/gather-bench.json > "$WORK/gather-bench.json"
java -jar "$JAR" check "$WORK/gather-bench.json" >&2

# The upstream runs in its own JVM so that gather's event loops do only gather's work.
java -jar "$JAR" demo --host 127.0.0.1 --port "$DEMO_PORT" --instances "$DEMO_INSTANCES" > "$WORK/demo.log" 2>&1 &
PIDS+=($!)
DEMO_PID=$!

# The database only matters for readiness here: the machine's PostgreSQL if given, else an embedded one.
if [ -n "${GATHER_DB_URL:-}" ]; then export GATHER_DB_URL; else export GATHER_DB_EMBEDDED_DATA_DIR="$WORK/pgdata"; fi
# shellcheck disable=SC2086  # JAVA_OPTS is a list of options
GATHER_HTTP_PORT=$GATHER_PORT GATHER_HTTP_INSTANCES=$GATHER_INSTANCES \
  java ${JAVA_OPTS:-} -jar "$JAR" --conf "$WORK/gather-bench.json" > "$WORK/gather.log" 2>&1 &
PIDS+=($!)
GATHER_PID=$!
wait_ready "http://127.0.0.1:$DEMO_PORT/delay/0" 30 "$DEMO_PID"
wait_ready "$BASE/health/ready" 120 "$GATHER_PID"
echo "gather (pid $GATHER_PID) log: $WORK/gather.log" >&2

rss_mib() { echo $(( $(ps -o rss= -p "$GATHER_PID") / 1024 )); }

# ---- the header: what ran where. The jar carries no commit, so say when it was built against HEAD. ----
head_time=$(git log -1 --format=%ct)
echo "# gather fan-out benchmark, $(date -u '+%F %H:%M UTC')"
echo
echo "- machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(free -g | awk '/Mem:/{print $2}') GiB;" \
     "busy before the run (other processes): $IDLE_CHECK cores"
echo "- java: $(java -version 2>&1 | head -1)"
echo "- gather: HEAD $(git rev-parse --short HEAD) (committed $(date -u -d "@$head_time" '+%F %H:%M UTC'))$(git diff --quiet HEAD -- src pom.xml || echo ', src/ has uncommitted changes');" \
     "jar $JAR built $(date -u -r "$JAR" '+%F %H:%M UTC'), sha256 $(sha256sum "$JAR" | cut -c1-12)$([ "$(stat -c %Y "$JAR")" -lt "$head_time" ] && echo ' (older than HEAD: it may not contain it)')"
echo "- setup: wrk, gather and the demo upstream on the same machine; http.instances=$GATHER_INSTANCES" \
     "(answered: $(curl -s "$BASE/" | jq .instances)), demo --instances $DEMO_INSTANCES, wrk -t$THREADS," \
     "access log $ACCESS_LOG_STATE, JAVA_OPTS='${JAVA_OPTS:-}'," \
     "db $([ -n "${GATHER_DB_URL:-}" ] && echo "$GATHER_DB_URL" || echo embedded), config bench/gather-bench.json" \
     "(demoHedged.hedgeAfterMs=$HEDGE_AFTER_MS)"
echo "- gather RSS after start: $(rss_mib) MiB"
echo

# ---- wrk scenarios ----
# Every wrk run also gets bench/percentiles.lua: p99.9, and percentiles without wrk's coordinated-omission
# correction ("raw"; see the script), which needs to know the connections.
lua_value() { # wrk output, line (wrk_ms, raw_ms or summary), key -> value
  awk -v line="$2" -v k="$3" '$1 == line {for (i = 2; i <= NF; i++) {split($i, kv, "="); if (kv[1] == k) print kv[2]}}' "$1"
}
WRK_ROWS=()
run_wrk() { # name, path, default warm-up seconds, default measured seconds
  local name=$1 url=$BASE$2 warmup=${WARMUP:-$3} seconds=${DURATION:-$4} out=$WORK/$1.wrk
  echo "$name: warm-up $warmup s (the JIT needs it on 2 busy cores), then $seconds s with $CONNECTIONS connections" >&2
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${warmup}s" "$url" > "$WORK/$name.warmup.wrk"
  local cpu0; cpu0=$(cpu_snapshot)
  WRK_CONNECTIONS=$CONNECTIONS wrk -t"$THREADS" -c"$CONNECTIONS" -d"${seconds}s" --latency -s bench/percentiles.lua "$url" > "$out"
  local cpu; cpu=$(cpu_split "$cpu0" "$(cpu_snapshot)")
  # wrk prints "Socket errors: connect A, read B, write C, timeout D" and "Non-2xx or 3xx responses: N" only when non-zero.
  local p50 p90 p99 rps socket non2xx
  p50=$(awk '$1=="50%"{print $2}' "$out"); p90=$(awk '$1=="90%"{print $2}' "$out"); p99=$(awk '$1=="99%"{print $2}' "$out")
  rps=$(awk '/^Requests\/sec/{printf "%.0f", $2}' "$out")
  socket=$(awk -F'[ ,]+' '/Socket errors/{print $4+$6+$8+$10}' "$out"); non2xx=$(awk '/Non-2xx/{print $NF}' "$out")
  WRK_ROWS+=("| $name | $2 | $CONNECTIONS | ${seconds} s | $rps | $p50 | $p90 | $p99"\
" | $(lua_value "$out" raw_ms p99) / $(lua_value "$out" raw_ms p99.9) | ${socket:-0} / ${non2xx:-0} | $cpu | $(rss_mib) |")
}

# ---- fan-out: one request making N upstream calls of /delay/1 each ----
FAN_ROWS=()
time_fan() { # aggregate, N, mode, run label
  local agg=$1 n=$2 mode=$3 body=$WORK/$1-$2-$3-$4.json
  local url="$BASE/aggregate/$agg?mode=$mode"
  [ "$agg" = fan1s ] && url+="&ids=$(seq -s, 1 "$n")"
  local timing; timing=$(curl -s -o "$body" -w '%{http_code} %{time_total}' "$url")
  # Success is judged from the body, not the status: every call must have answered {"delayedMs":1000}.
  FAN_ROWS+=("| $agg | $n | $mode | $4 | ${timing#* } s | ${timing%% *} | $(jq -r '.complete' "$body")"\
" | $(jq '[.data | .. | objects | select(.delayedMs? == 1000)] | length' "$body") / $n | $(jq '[.sources[].ms] | max' "$body") |")
}
run_fanout() {
  echo "fanout: timing single requests (sequential ones take N seconds each)" >&2
  time_fan fan1s 1000 concurrent warm-up # opens the upstream connections once, as a running service would have them
  for n in 10 100 1000; do for run in 1 2 3; do time_fan fan1s "$n" concurrent "$run"; done; done
  local seq_ns=(10 100); [ "${FULL:-0}" = 1 ] && seq_ns+=(1000)
  for n in "${seq_ns[@]}"; do time_fan fan1s "$n" sequential 1; done
  # The same 10 calls as 10 separate sources rather than 10 forEach items, in both modes.
  time_fan ten1s 10 concurrent 1
  time_fan ten1s 10 sequential 1
}

# ---- tail: one upstream call of /tail (5 ms, but 250 ms for a random 5 %), without and with hedging ----
# A moderate load (TAIL_CONNECTIONS, not CONNECTIONS) so that the tail comes from the upstream, not from
# gather's CPU being saturated; even so hedging shortens the average call, so the hedged run sends more req/s.
TAIL_ROWS=()
AGGREGATES_WARM=0 # set once three50 or three0 ran: the fan-out path is then compiled already
metric() { # Prometheus name, upstream -> its value now (0 if absent)
  curl -s "$BASE/metrics" | awk -v m="$1" -v u="upstream=\"$2\"" \
    'index($0, m "{") == 1 && index($0, u) {sum += $NF} END {printf "%d", sum}'
}
run_tail() {
  # Warm-up: mostly for the hedge path and, with "p95", for the upstream's window of answers (hedging starts after
  # 20); the JIT needs ~20 s under load (results-2026-11-22-knobs.md) unless earlier scenarios did that already.
  local default_warmup=20 seconds=${DURATION:-30}
  [ "$AGGREGATES_WARM" = 0 ] || default_warmup=5
  local warmup=${WARMUP:-$default_warmup} agg upstream hedge
  for agg in tail tailHedged; do
    upstream=$(jq -r ".aggregates.$agg.sources.tail.upstream" "$WORK/gather-bench.json")
    hedge=$(jq -r ".upstreams.$upstream.hedgeAfterMs // \"off\"" "$WORK/gather-bench.json")
    local out=$WORK/$agg.wrk url=$BASE/aggregate/$agg
    echo "tail $agg: warm-up $warmup s, then $seconds s with $TAIL_CONNECTIONS connections" >&2
    wrk -t"$THREADS" -c"$TAIL_CONNECTIONS" -d"${warmup}s" "$url" > "$WORK/$agg.warmup.wrk"
    local retries0 calls0 cpu0; retries0=$(metric gather_upstream_retries_total "$upstream")
    calls0=$(metric gather_upstream_call_seconds_count "$upstream"); cpu0=$(cpu_snapshot)
    WRK_CONNECTIONS=$TAIL_CONNECTIONS wrk -t"$THREADS" -c"$TAIL_CONNECTIONS" -d"${seconds}s" -s bench/percentiles.lua "$url" > "$out"
    local cpu; cpu=$(cpu_split "$cpu0" "$(cpu_snapshot)")
    local retries calls; retries=$(( $(metric gather_upstream_retries_total "$upstream") - retries0 ))
    calls=$(( $(metric gather_upstream_call_seconds_count "$upstream") - calls0 ))
    local requests socket; requests=$(lua_value "$out" summary requests)
    socket=$(( $(lua_value "$out" summary connect) + $(lua_value "$out" summary read) \
      + $(lua_value "$out" summary write) + $(lua_value "$out" summary timeout) ))
    # The retries counter counts hedges and retries; the demo upstreams never fail, so here it is hedges only.
    TAIL_ROWS+=("| $agg | $upstream | $hedge | $TAIL_CONNECTIONS | ${seconds} s"\
" | $(awk -v r="$requests" -v s="$(lua_value "$out" summary seconds)" 'BEGIN{printf "%.0f", r / s}')"\
" | $(lua_value "$out" raw_ms p50) | $(lua_value "$out" raw_ms p90) | $(lua_value "$out" raw_ms p99)"\
" | $(lua_value "$out" raw_ms p99.9) | $(lua_value "$out" raw_ms max)"\
" | $(lua_value "$out" wrk_ms p90) / $(lua_value "$out" wrk_ms p99) / $(lua_value "$out" wrk_ms p99.9)"\
" | $socket / $(lua_value "$out" summary status)"\
" | $retries ($(awk -v h="$retries" -v r="$requests" 'BEGIN{printf "%.2f %%", r ? 100 * h / r : 0}')) | $calls | $cpu | $(rss_mib) |")
  done
}

for scenario in "${SCENARIOS[@]}"; do
  case $scenario in
    hello) run_wrk hello / 15 20 ;;
    three50) run_wrk three50 /aggregate/three50 45 30; AGGREGATES_WARM=1 ;;
    three0) run_wrk three0 /aggregate/three0 15 20; AGGREGATES_WARM=1 ;;
    tail) run_tail ;;
    fanout) run_fanout ;;
  esac
done

if [ ${#WRK_ROWS[@]} -gt 0 ]; then
  echo "## Throughput and latency (wrk --latency)"
  echo
  echo "CPU = cores busy during the measured window: gather / demo upstream / everything else (wrk, other processes)."
  echo
  echo "p50/p90/p99 as wrk --latency prints them, which includes wrk's coordinated-omission correction;" \
       "raw p99 / p99.9 (ms) without it (bench/percentiles.lua)."
  echo
  echo "| scenario | path | connections | duration | req/s | p50 | p90 | p99 | raw p99 / p99.9 | socket errors / non-2xx | CPU | gather RSS after (MiB) |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|"
  printf '%s\n' "${WRK_ROWS[@]}"
  echo
fi
if [ ${#TAIL_ROWS[@]} -gt 0 ]; then
  echo "## Tail latency: one call of /tail?fastMs=5&slowMs=250&slowPercent=5, without and with hedging"
  echo
  echo "Percentiles in ms of the requests as they were (wrk's histogram without its coordinated-omission" \
       "correction, bench/percentiles.lua); wrk's corrected figures beside them. Hedges = the upstream's" \
       "gather_upstream_retries_total over the measured window (share of requests); upstream tries =" \
       "gather_upstream_call_seconds_count over it (first tries + hedges, losers included)."
  echo
  echo "| aggregate | upstream | hedgeAfterMs | connections | duration | req/s | p50 | p90 | p99 | p99.9 | max | wrk-corrected p90 / p99 / p99.9 | socket errors / non-2xx | hedges | upstream tries | CPU | gather RSS after (MiB) |"
  echo "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|"
  printf '%s\n' "${TAIL_ROWS[@]}"
  echo
fi
if [ ${#FAN_ROWS[@]} -gt 0 ]; then
  echo "## Fan-out: one request, N upstream calls of /delay/1 each (curl time_total)"
  echo
  echo "fan1s = one source with forEach over ?ids=1..N; ten1s = ten separate sources."
  echo
  echo "| aggregate | N | mode | run | time | HTTP | complete | calls answered | slowest source (ms) |"
  echo "|---|---:|---|---|---:|---:|---|---:|---:|"
  printf '%s\n' "${FAN_ROWS[@]}"
  echo
fi
echo "## Raw wrk output"
for scenario in hello three50 three0 tail tailHedged; do
  if [ -f "$WORK/$scenario.wrk" ]; then echo; echo "### $scenario"; echo; echo '```'; cat "$WORK/$scenario.wrk"; echo '```'; fi
done

# The high-water mark of gather's RSS over the whole run, beside the figures after each scenario above.
peak_rss=$(awk '/^VmHWM/{printf "%d", $2 / 1024}' "/proc/$GATHER_PID/status")
# The demo's sockets: gather's pools keep connections open and each hedge resets one (the loser's). Once gather
# has stopped none should be left; CLOSE-WAIT ones would be connections whose end the demo never closed.
demo_sockets() {
  ss -Htan "( sport = :$DEMO_PORT )" | awk '$1 != "LISTEN" {n[$1]++} END {for (s in n) printf "%s %d, ", s, n[s]}' |
    sed 's/, $//'
}
sockets_loaded=$(demo_sockets)
echo "stopping gather (TERM; it drains for shutdown.drainMs and exits 0) ..." >&2
kill "$GATHER_PID"
for _ in $(seq 100); do kill -0 "$GATHER_PID" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$GATHER_PID" 2>/dev/null; then
  gather_exit="still running 10 s after TERM (the exit trap kills it)"
else
  rc=0; wait "$GATHER_PID" || rc=$?; gather_exit="exit code $rc"
  PIDS=("$DEMO_PID") # reaped: its pid is no longer ours to signal
fi
sleep 2

echo
echo "- gather peak RSS (VmHWM) over the run: $peak_rss MiB; after TERM: $gather_exit"
sockets_after=$(demo_sockets)
echo "- demo upstream's connections (port $DEMO_PORT) after the last scenario: ${sockets_loaded:-none};" \
     "2 s after gather stopped: ${sockets_after:-none}"
# The commonest of them, without its time and thread, so that a flood of one message is seen here.
commonest=$(grep -E ' (WARN|ERROR) ' "$WORK/gather.log" | sed -E 's/^[0-9:.]+ +//; s/\[[^]]*\] //' | cut -c1-160 |
  sort | uniq -c | sort -rn | head -1 | sed -E 's/^ *([0-9]+) (.*)/; commonest: `\2` × \1/' || true)
echo "- gather log lines at WARN/ERROR: $(grep -cE ' (WARN|ERROR) ' "$WORK/gather.log" || true)$commonest (log: $WORK/gather.log)"
