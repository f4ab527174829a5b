# Helpers the bench scripts share; source it after setting WORK (where logs go). Not meant to be run.

free_port() { # the first port from $1 up that nobody listens on
  local port=$1
  while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
  echo "$port"
}

wait_ready() { # url, seconds, pid: fail early if the process died instead of waiting out the timeout
  for _ in $(seq $(($2 * 5))); do
    curl -fs -o /dev/null "$1" && return 0
    kill -0 "$3" 2>/dev/null || { echo "process $3 died; see $WORK" >&2; return 1; }
    sleep 0.2
  done
  echo "$1 not ready after $2 s; see $WORK" >&2
  return 1
}

# Busy CPU of the whole machine in clock ticks, from /proc/stat (user, nice, system, irq, softirq, steal).
busy_ticks() { awk '/^cpu /{print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat; }

stop_pids() { # seconds, pids...: TERM each (gather drains and exits 0), then KILL whatever still runs after the seconds
  local tries=$(($1 * 10))
  shift
  for pid in "$@"; do kill "$pid" 2>/dev/null || true; done
  for pid in "$@"; do
    for _ in $(seq "$tries"); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
}
