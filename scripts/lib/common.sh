# Sourced by the scripts in scripts/: what more than one of them does, written once.
# The sourcing script sets `root` (the repository) first. Sourcing sets the script's EXIT trap: register
# clean-up with at_exit, never with trap.

# --- the CLI and its database -------------------------------------------------------------------

# The executable, built (Release) first when its sources changed.
inspections() { "$root/scripts/inspections" "$@"; }

# Builds it now, so no build time lands in a measurement.
build_inspections() { inspections --help >/dev/null; }

# psql on the database the CLI uses: unaligned, tuples only, stopping at the first error.
# Usage: sql [psql options] -c QUERY     (e.g. sql -F ' ' -c "select 1, 2")
sql() { inspections db psql -- -v ON_ERROR_STOP=1 -X -q -At "$@"; }

# Points the CLI at the embedded cluster in DIR on PORT (and at no external server), starts it and stops
# it at exit. Usage: use_cluster DIR PORT
use_cluster() {
  export Database__DataDirectory="$1" Database__Port="$2" ConnectionStrings__Postgres=""
  at_exit "Database__DataDirectory=$(printf %q "$1") inspections db stop >/dev/null 2>&1"
  inspections db start >&2
}

# As use_cluster, on a new cluster: whatever DIR held is removed first. With "throwaway", DIR is removed at exit
# too; with "left-running", the cluster is not stopped at exit (the demo's, for serve-api afterwards).
# Usage: fresh_cluster DIR PORT [throwaway|left-running]
fresh_cluster() {
  local dir="$1" port="$2" mode="${3:-}"
  Database__DataDirectory="$dir" inspections db stop >/dev/null 2>&1 || true
  rm -rf "$dir"
  mkdir -p "$dir"
  chmod 755 "$dir"   # as root the server runs as the postgres user, which must reach its folder
  [[ "$mode" == throwaway ]] && at_exit "rm -rf $(printf %q "$dir")"
  if [[ "$mode" == left-running ]]; then
    export Database__DataDirectory="$dir" Database__Port="$port" ConnectionStrings__Postgres=""
    inspections db start >&2
  else
    use_cluster "$dir" "$port"
  fi
}

# Stored days: the weekly pipeline (`run`, ingest .. monitor) for each date, oldest first, as cron would have run
# it; each date is then a day in api.days and api.predictions. The first run trains the model the later ones use.
# Usage: store_days SOURCE DATE...
store_days() {
  local source="$1" date log
  shift
  log="$(mktemp)"
  for date in "$@"; do
    if ! inspections run --date "$date" --source "$source" >"$log" 2>&1; then
      cat "$log" >&2
      rm -f "$log"
      echo "run --date $date failed" >&2
      return 1
    fi
    echo "  $date: $(grep -m1 '^DAG' "$log")" >&2
  done
  rm -f "$log"
}

# COUNT dates a week apart, oldest first, the last one LAST. Usage: weekly_dates LAST COUNT
weekly_dates() {
  local i
  for (( i = $2 - 1; i >= 0; i-- )); do date -d "$1 - $((7 * i)) days" +%F; done
}

# --- clean-up at exit ---------------------------------------------------------------------------

_exit_commands=()
# Runs COMMAND (a shell string) when the script exits, before whatever was registered earlier.
at_exit() { _exit_commands=("$1" "${_exit_commands[@]}"); }
_run_exit_commands() {
  local command
  for command in "${_exit_commands[@]}"; do eval "$command" || true; done
}
trap _run_exit_commands EXIT

# Stops a background process of this script at exit (if it still runs then). Usage: stop_at_exit PID
stop_at_exit() { at_exit "stop_process $1"; }
stop_process() {
  if [[ -n "$1" ]] && kill -0 "$1" 2>/dev/null; then
    kill "$1"
    wait "$1" 2>/dev/null || true
  fi
}

# --- time and CPU -------------------------------------------------------------------------------

now() { date +%s.%N; }

# Seconds from START (a `now`) to END (default: now). Usage: seconds_since START [END]
seconds_since() { awk -v a="$1" -v b="${2:-$(now)}" 'BEGIN { printf "%.2f", b - a }'; }

# CPU seconds (user + system) the running processes PID... have used so far.
cpu_seconds() {
  local ticks=0 pid
  for pid in "$@"; do
    [[ -r /proc/$pid/stat ]] && ticks=$((ticks + $(awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null || echo 0)))
  done
  awk -v t="$ticks" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", t / hz }'
}

# CPU seconds the embedded server (Database__DataDirectory) has used so far: the postmaster's own and its
# children's (exited backends are counted in its cutime/cstime once reaped; live ones are added). The machine is
# shared, so wall time depends on what else runs; CPU time much less.
postgres_cpu_seconds() {
  local postmaster ticks=0 pid
  postmaster="$(head -1 "$Database__DataDirectory/pgdata/postmaster.pid")"
  for pid in "$postmaster" $(pgrep -P "$postmaster"); do
    [[ -r /proc/$pid/stat ]] || continue
    if [[ $pid == "$postmaster" ]]; then
      ticks=$((ticks + $(awk '{ print $14 + $15 + $16 + $17 }' "/proc/$pid/stat")))
    else
      ticks=$((ticks + $(awk '{ print $14 + $15 }' "/proc/$pid/stat")))
    fi
  done
  awk -v t="$ticks" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", t / hz }'
}

# --- HTTP ---------------------------------------------------------------------------------------

# Waits until URL answers 2xx, for at most 60 s; fails at once when PID (the server) has died.
# Usage: wait_for_url URL PID
wait_for_url() {
  local _
  for _ in $(seq 1 120); do
    curl -fs -o /dev/null "$1" && return 0
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.5
  done
  curl -fs -o /dev/null "$1"
}

# Starts `inspections serve-api` on BASE in the background, logging to WORK/server.out and WORK/server.log,
# stopped at exit, and waits until /ready answers. Sets `server` to its PID: scripts/inspections is started
# itself, not through the `inspections` function (which would put a subshell between), and it execs, so $! is
# the server, whose CPU and memory the callers read. PORT_VARIABLE names the setting to change when BASE is taken.
# Usage: start_api BASE WORK PORT_VARIABLE
start_api() {
  local base="$1" work="$2"
  if curl -s -o /dev/null "$base/health"; then
    echo "Something already answers on $base: stop it or set $3." >&2
    exit 1
  fi
  "$root/scripts/inspections" serve-api --urls "$base" > "$work/server.out" 2> "$work/server.log" &
  server=$!
  stop_at_exit "$server"
  wait_for_url "$base/ready" "$server" || { cat "$work/server.log" >&2; exit 1; }
}

# --- output -------------------------------------------------------------------------------------

# A Markdown table's header and rule; a column written ">name" is right-aligned (numbers).
# Usage: markdown_header COLUMN...
markdown_header() {
  local names=() rule=() column
  for column in "$@"; do
    if [[ $column == '>'* ]]; then names+=("${column#>}"); rule+=("---:"); else names+=("$column"); rule+=("---"); fi
  done
  printf '| %s ' "${names[@]}"; echo '|'
  printf '|%s' "${rule[@]}"; echo '|'
}

# One Markdown table row. Usage: markdown_row CELL...
markdown_row() { printf '| %s ' "$@"; echo '|'; }
