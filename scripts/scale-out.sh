#!/usr/bin/env bash
# The API scaled out on real parts, all on 127.0.0.1, under load, through a weekly run and a crashed replica.
#
#   scripts/scale-out.sh
#
# 1. The primary: the embedded cluster (a throwaway one), filled by the weekly pipeline (`run`) for SCALE_DAYS dates.
# 2. A streaming hot standby of it, made with pg_basebackup (-R: standby.signal and primary_conninfo; a replication
#    slot, so the primary keeps the WAL the standby still needs).
# 3. Three `inspections serve-api` processes reading the standby as the API's role (ConnectionStrings:Api).
# 4. HAProxy in front of them: health checks on /ready, retries (on another server) when a connection fails or a
#    server dies mid-request.
# Under wrk load through HAProxy it runs the weekly `run` for the next date on the primary, waits until every API
# process serves that new day, then SIGKILLs one of them and starts it again. It prints the requests, non-2xx
# responses and socket errors, p50/p99, the replication lag, and the time from store-api's commit until each API
# process served the new day. Exits non-zero on any non-2xx response, any socket error, or an API process that does
# not serve the new day within SCALE_SERVE_TIMEOUT seconds. Everything it starts is stopped and removed at exit.
#
# Tunables: SCALE_DB_PORT (54398) and SCALE_STANDBY_PORT (54399); SCALE_LB_PORT (5070) and SCALE_API_PORTS
# ("5071 5072 5073"); SCALE_CONNECTIONS (64), SCALE_THREADS (2), SCALE_SETTLE (10, seconds of load before the run),
# SCALE_DAYS (2, days stored before the load), SCALE_NEW_DATE (2014-08-25, the run under load),
# SCALE_SERVE_TIMEOUT (60), SCALE_SOURCE (the bundled sample).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$root/scripts/lib/common.sh"

primary_port="${SCALE_DB_PORT:-54398}"
standby_port="${SCALE_STANDBY_PORT:-54399}"
lb_port="${SCALE_LB_PORT:-5070}"
read -r -a api_ports <<< "${SCALE_API_PORTS:-5071 5072 5073}"
connections="${SCALE_CONNECTIONS:-64}"
threads="${SCALE_THREADS:-2}"
settle="${SCALE_SETTLE:-10}"
days="${SCALE_DAYS:-2}"
new_date="${SCALE_NEW_DATE:-2014-08-25}"
serve_timeout="${SCALE_SERVE_TIMEOUT:-60}"
source_file="$(realpath "${SCALE_SOURCE:-$root/samples/synthetic-food-inspections.csv}")"
lb="http://127.0.0.1:$lb_port"

"$root/scripts/ensure-deps.sh" --wrk --haproxy >&2
work="$(mktemp -d)"
chmod 755 "$work"   # as root the servers run as the postgres OS user, which must reach their folders
at_exit "rm -rf $(printf %q "$work")"
build_inspections

pg_bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
# PostgreSQL refuses to run as root: as root its tools run as the postgres OS user, as the embedded cluster does.
as_server_user() { if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
stamp() { date -u +%H:%M:%S.%2N; }
# Seconds the machine's cores have been busy (all processes, ours and anyone else's), from /proc/stat.
busy_seconds() { awk -v hz="$(getconf CLK_TCK)" '/^cpu / { printf "%.2f", ($2 + $3 + $4 + $7 + $8) / hz }' /proc/stat; }
say() { echo "[$(stamp)] $*" >&2; }

# --- 1. The primary ------------------------------------------------------------------------------
# Replication needs wal_level replica (PostgreSQL's default, written out here because it is required) and free WAL
# senders (10 by default); initdb's pg_hba.conf already lets the superuser replicate over the local socket.
# track_commit_timestamp gives the commit time of store-api's transaction, which the new day is timed from.
export Database__ServerOptions="-c shared_buffers=128MB -c jit=off -c wal_level=replica -c track_commit_timestamp=on"
fresh_cluster "$work/primary" "$primary_port"
primary_socket="$work/primary/pgdata"
primary_sql() { "$pg_bin/psql" -h "$primary_socket" -p "$primary_port" -U postgres -d inspections -v ON_ERROR_STOP=1 -X -q -At "$@"; }

say "Storing $days days on the primary, weekly to $(date -d "$new_date - 7 days" +%F), over $(basename "$source_file")..."
store_days "$source_file" $(weekly_dates "$(date -d "$new_date - 7 days" +%F)" "$days")

# --- 2. The hot standby --------------------------------------------------------------------------
mkdir -p "$work/standby"
chmod 755 "$work/standby"
[[ $(id -u) -eq 0 ]] && chown postgres: "$work/standby"
standby_data="$work/standby/pgdata"
say "Making the standby with pg_basebackup..."
as_server_user "$pg_bin/pg_basebackup" -h "$primary_socket" -p "$primary_port" -U postgres -D "$standby_data" \
  -R -X stream -C -S scale_out_standby --checkpoint=fast 2> >(grep -v 'skipping special file' >&2)
# hot_standby_feedback: the primary's vacuum keeps the rows a standby query still reads, so replay never cancels it.
as_server_user "$pg_bin/pg_ctl" start -D "$standby_data" -l "$work/standby/server.log" -w -t 60 \
  -o "-p $standby_port -k $standby_data -c listen_addresses=127.0.0.1 -c hot_standby_feedback=on" >&2
stop_standby() { as_server_user "$pg_bin/pg_ctl" stop -D "$standby_data" -m fast >/dev/null 2>&1; }
at_exit stop_standby
standby_sql() { "$pg_bin/psql" -h "$standby_data" -p "$standby_port" -U postgres -d inspections -v ON_ERROR_STOP=1 -X -q -At "$@"; }
[[ "$(standby_sql -c "select pg_is_in_recovery()")" == t ]] || { echo "the standby is not in recovery" >&2; exit 1; }
say "Standby streaming: $(primary_sql -c "select state || ', ' || sync_state from pg_stat_replication")."

# --- 3. Three API processes on the standby -------------------------------------------------------
# serve-api's role only reads, and a standby only lets it read: ConnectionStrings:Api names the standby (its private
# socket, trusted like the embedded cluster's); ConnectionStrings:Postgres names the primary, which serve-api does not use.
api_pids=()
api_cpu_dead=0   # CPU seconds of the process killed, counted before it went
api_cpu() { awk -v a="$(cpu_seconds "${api_pids[@]}")" -v b="$api_cpu_dead" 'BEGIN { printf "%.1f", a + b }'; }
start_api_process() {
  local i="$1" port="${api_ports[$1]}"
  ConnectionStrings__Postgres="Host=$primary_socket;Port=$primary_port;Username=inspections;Database=inspections" \
  ConnectionStrings__Api="Host=$standby_data;Port=$standby_port;Username=inspections_api;Database=inspections" \
    "$root/scripts/inspections" serve-api --urls "http://127.0.0.1:$port" >> "$work/api$i.out" 2>> "$work/api$i.log" &
  api_pids[$i]=$!
  stop_at_exit "${api_pids[$i]}"
  wait_for_url "http://127.0.0.1:$port/ready" "${api_pids[$i]}" || { cat "$work/api$i.log" >&2; exit 1; }
}
for i in "${!api_ports[@]}"; do
  if curl -s -o /dev/null "http://127.0.0.1:${api_ports[$i]}/health"; then
    echo "Something already answers on port ${api_ports[$i]}: stop it or set SCALE_API_PORTS." >&2
    exit 1
  fi
  start_api_process "$i"
done
say "API processes ready on ports ${api_ports[*]}: $(curl -s "http://127.0.0.1:${api_ports[0]}/ready")"

# --- 4. HAProxy ----------------------------------------------------------------------------------
{
  cat <<CFG
global
    maxconn 4096

defaults
    mode http
    timeout connect 1s
    timeout client 30s
    timeout server 10s
    # A request whose server refused the connection, or died before answering, goes to another server: GETs only,
    # which are safe to send twice.
    retries 3
    option redispatch 1
    retry-on conn-failure empty-response junk-response response-timeout

frontend api
    bind 127.0.0.1:$lb_port
    default_backend replicas

backend replicas
    balance roundrobin
    option httpchk GET /ready
    http-check expect status 200
    # Slow is not down: a check may take 5 s on a saturated machine. A dead process is taken out after 3 failed
    # checks (about 3 s); meanwhile the requests sent to it fail to connect and are retried on another server.
    timeout check 5s
    default-server inter 1s fall 3 rise 2
CFG
  for i in "${!api_ports[@]}"; do echo "    server api$((i + 1)) 127.0.0.1:${api_ports[$i]} check"; done
  cat <<CFG

listen stats
    bind 127.0.0.1:$((lb_port + 9))
    stats enable
    stats uri /stats
CFG
} > "$work/haproxy.cfg"
haproxy -c -q -f "$work/haproxy.cfg"
haproxy -db -f "$work/haproxy.cfg" > "$work/haproxy.log" 2>&1 &
haproxy_pid=$!
stop_at_exit "$haproxy_pid"
wait_for_url "$lb/ready" "$haproxy_pid" || { cat "$work/haproxy.log" >&2; exit 1; }

# --- The load ------------------------------------------------------------------------------------
primary_sql -c "select distinct license from api.predictions" > "$work/ids.txt"
primary_sql -c "select prediction_date from api.days" > "$work/dates.txt"
cat > "$work/load.lua" <<LUA
-- Endpoint 1 (random establishments), endpoint 2 (random stored days and pages), the dates list: 4 : 4 : 1.
local ids, dates = {}, {}
for line in io.lines("$work/ids.txt") do ids[#ids + 1] = line end
for line in io.lines("$work/dates.txt") do dates[#dates + 1] = line end
local n = 0
request = function()
  n = n + 1
  local kind = n % 9
  if kind < 4 then
    return wrk.format("GET", "/establishments/" .. ids[math.random(#ids)] .. "/prediction")
  elseif kind < 8 then
    return wrk.format("GET", "/predictions?date=" .. dates[math.random(#dates)] .. "&limit=100&offset=" .. (100 * math.random(0, 4)))
  end
  return wrk.format("GET", "/predictions/dates")
end
LUA

# wrk is stopped (SIGINT: it prints its summary) once the restarted process has served for a few seconds.
duration=900
say "Load: wrk -t$threads -c$connections through HAProxy until the end (at most ${duration} s)."
load_started="$(now)"
busy_before="$(busy_seconds)"
wrk -t"$threads" -c"$connections" -d"${duration}s" --timeout 5s --latency -s "$work/load.lua" "$lb" > "$work/wrk.txt" 2>&1 &
wrk_pid=$!
stop_at_exit "$wrk_pid"
sleep "$settle"

# The primary's view of the standby, sampled while the run writes: replay_lag is how long after a commit on the
# primary the standby had replayed it (NULL once nothing is pending).
( while true; do
    primary_sql -c "select coalesce(extract(epoch from replay_lag), 0), pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn) from pg_stat_replication" 2>/dev/null || true
    sleep 0.2
  done ) > "$work/lag.txt" &
lag_pid=$!
stop_at_exit "$lag_pid"

# Each API process directly (not through HAProxy), every 0.1 s: when does it first hold the new day in memory?
for i in "${!api_ports[@]}"; do
  ( until [[ "$(curl -s "http://127.0.0.1:${api_ports[$i]}/ready")" == *"\"servedFromMemory\":\"$new_date\""* ]]; do sleep 0.1; done
    now > "$work/served$i" ) &
  stop_at_exit $!
done

say "Weekly run for $new_date on the primary, under load..."
run_started="$(now)"
inspections run --date "$new_date" --source "$source_file" > "$work/run.log" 2>&1 || { cat "$work/run.log" >&2; echo "the weekly run failed" >&2; exit 1; }
run_seconds="$(seconds_since "$run_started")"
say "Run finished in $run_seconds s: $(grep -m1 'DAG' "$work/run.log" | sed 's/^[0-9TZ:-]* *//' || true)"
commit="$(primary_sql -c "select extract(epoch from pg_xact_commit_timestamp(xmin)) from api.days where prediction_date = '$new_date'")"
[[ -n "$commit" ]] || { echo "store-api stored no day for $new_date" >&2; exit 1; }

served_after=()
missing=0
deadline=$(( $(date +%s) + serve_timeout ))
for i in "${!api_ports[@]}"; do
  until [[ -s "$work/served$i" ]] || (( $(date +%s) > deadline )); do sleep 0.1; done
  if [[ -s "$work/served$i" ]]; then
    served_after[$i]="$(awk -v c="$commit" -v t="$(cat "$work/served$i")" 'BEGIN { printf "%.2f", t - c }')"
  else
    served_after[$i]="never"
    missing=$((missing + 1))
  fi
done
kill "$lag_pid" 2>/dev/null || true
say "Seconds from store-api's commit until each API process served $new_date: ${served_after[*]}"
(( missing == 0 )) || say "$missing API process(es) did not serve $new_date within $serve_timeout s."

victim=$(( ${#api_ports[@]} - 1 ))
say "SIGKILL to API process $((victim + 1)) (pid ${api_pids[$victim]}) under load..."
api_cpu_dead="$(cpu_seconds "${api_pids[$victim]}")"
kill -KILL "${api_pids[$victim]}"
wait "${api_pids[$victim]}" 2>/dev/null || true
sleep 2
restart_started="$(now)"
start_api_process "$victim"
restart_seconds="$(seconds_since "$restart_started")"
say "Restarted in $restart_seconds s (to /ready 200): $(curl -s "http://127.0.0.1:${api_ports[$victim]}/ready")"
restarted_serves="$(curl -s "http://127.0.0.1:${api_ports[$victim]}/ready")"
[[ "$restarted_serves" == *"\"servedFromMemory\":\"$new_date\""* ]] || { say "the restarted process does not serve $new_date"; missing=$((missing + 1)); }
# A few seconds for HAProxy to see it up again (rise 2 x 500 ms) and send it requests, then stop the load.
sleep 5
kill -INT "$wrk_pid" 2>/dev/null || true
wait "$wrk_pid" 2>/dev/null || true
load_seconds="$(seconds_since "$load_started")"
busy_after="$(busy_seconds)"

# --- Report --------------------------------------------------------------------------------------
read -r requests rps p50 p99 non2xx socket_errors < <(awk '
  /requests in/ { total = $1 }
  /Requests\/sec:/ { rps = $2 }
  /^ +50%/ { p50 = $2 }
  /^ +99%/ { p99 = $2 }
  /Non-2xx or 3xx responses:/ { bad = $5 }
  /Socket errors:/ { gsub(",", ""); errors = $4 + $6 + $8 + $10 }
  END { printf "%s %s %s %s %d %d\n", total, rps, p50, p99, bad, errors }' "$work/wrk.txt")
lag_max="$(awk 'BEGIN { m = 0 } $1 > m { m = $1 } END { printf "%.3f", m }' FS='|' "$work/lag.txt")"
bytes_max="$(awk 'BEGIN { m = 0 } $2 > m { m = $2 } END { printf "%d", m }' FS='|' "$work/lag.txt")"
stats="$(curl -s "http://127.0.0.1:$((lb_port + 9))/stats;csv")"
retries="$(awk -F, '$1 == "replicas" && $2 != "BACKEND" && $2 != "FRONTEND" { r += $16; d += $17 } END { printf "%d retries, %d redispatches", r, d }' <<< "$stats")"
downs="$(awk -F, '$1 == "replicas" && $2 ~ /^api/ { printf "%s%s down %d times", sep, $2, $23; sep = ", " }' <<< "$stats")"
# Why HAProxy took a server out, each time (it says so on stderr).
grep -o 'Server replicas/api[0-9]* is DOWN, reason: [^,]*' "$work/haproxy.log" | sort | uniq -c | sed 's/^ */  /' >&2 || true

echo
echo "scale-out: primary + streaming hot standby (pg_basebackup) + ${#api_ports[@]} serve-api on the standby + HAProxy, 127.0.0.1"
echo "$(nproc) cores shared by all of it, wrk and whatever else runs; load average at the end $(cut -d' ' -f1-3 /proc/loadavg);"
echo "the cores were busy $(awk -v a="$busy_before" -v b="$busy_after" 'BEGIN { printf "%.0f", b - a }') of the $(awk -v t="$load_seconds" -v n="$(nproc)" 'BEGIN { printf "%.0f", t * n }') CPU seconds of the load (all processes); API processes $(api_cpu) CPU s, HAProxy $(cpu_seconds "$haproxy_pid") s"
echo
markdown_header measure value
markdown_row "load" "wrk -t$threads -c$connections through HAProxy, $load_seconds s; endpoint 1, endpoint 2 (random stored day, pages 1-5), /predictions/dates, 4:4:1"
markdown_row "requests" "$requests ($rps/s)"
markdown_row "non-2xx responses" "$non2xx"
markdown_row "socket errors (connect, read, write, timeout)" "$socket_errors"
markdown_row "latency p50 / p99" "$p50 / $p99"
markdown_row "weekly run on the primary (ingest .. monitor, under load)" "$run_seconds s"
markdown_row "replication lag during the run (primary's pg_stat_replication, max)" "$lag_max s replay lag, $bytes_max bytes of WAL behind"
markdown_row "store-api commit -> each API process serves the new day (polled every 0.1 s)" "${served_after[*]} s"
markdown_row "SIGKILLed API process restarted, to /ready 200" "$restart_seconds s"
markdown_row "HAProxy" "$retries; $downs"

if (( non2xx > 0 || socket_errors > 0 || missing > 0 )); then
  echo
  echo "FAILED: $non2xx non-2xx, $socket_errors socket errors, $missing API process(es) not serving $new_date" >&2
  exit 1
fi
