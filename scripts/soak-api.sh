#!/usr/bin/env bash
# Soak test of the HTTP API: a minute of steady load, zero errors and stable memory, or a non-zero exit.
#
#   scripts/soak-api.sh
#
# 1. Fills a throwaway database of its own by running the pipeline on the bundled synthetic sample for a
#    few dates (as the demo does), so the API serves real predictions.
# 2. Serves it with `inspections serve-api` and loads it with wrk (installed from Debian when missing):
#    endpoint 1 (random establishments) and endpoint 2 (random dates and pages), mixed.
# 3. Records the server's resident memory (VmRSS in /proc/PID/status) every 5 s.
# 4. Meanwhile stores the newest date again (`store-api --force`) every SOAK_RESTORE_EVERY seconds, as a
#    weekly run does, so the server reloads the day it holds in memory while under load.
# Fails when any response is not 2xx, when wrk reports a socket error (connect, read, write, timeout),
# when RSS grows more than SOAK_MAX_GROWTH_PERCENT between the 15 s mark and the end, or when the
# server did not reload the day after each re-store.
#
# Tunables: SOAK_DURATION (60, seconds), SOAK_CONNECTIONS (32), SOAK_THREADS (2), SOAK_MAX_GROWTH_PERCENT (30),
# SOAK_RESTORE_EVERY (20, seconds; 0 = never),
# SOAK_API_PORT (5056), SOAK_DATA_DIRECTORY and SOAK_DB_PORT (54341) for its embedded cluster,
# SOAK_DATES (the run dates filled, default "2014-09-01 2014-10-01 2014-11-01 2014-12-01").
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$root/scripts/lib/common.sh"

export Database__ServerOptions="-c fsync=off -c synchronous_commit=off"
duration="${SOAK_DURATION:-60}"
connections="${SOAK_CONNECTIONS:-32}"
threads="${SOAK_THREADS:-2}"
max_growth="${SOAK_MAX_GROWTH_PERCENT:-30}"
restore_every="${SOAK_RESTORE_EVERY:-20}"
port="${SOAK_API_PORT:-5056}"
dates="${SOAK_DATES:-2014-09-01 2014-10-01 2014-11-01 2014-12-01}"
sample="$root/samples/synthetic-food-inspections.csv"
base="http://127.0.0.1:$port"

"$root/scripts/ensure-deps.sh" --wrk >&2
work="$(mktemp -d)"
at_exit "rm -rf $(printf %q "$work")"
build_inspections   # now, so no build time lands in the soak
fresh_cluster "${SOAK_DATA_DIRECTORY:-${TMPDIR:-/tmp}/inspections-soak-api}" "${SOAK_DB_PORT:-54341}"

echo "Filling the database: the pipeline on the sample for $dates..." >&2
store_days "$sample" $dates

sql -c "select distinct license from api.predictions" > "$work/ids.txt"
sql -c "select distinct prediction_date from api.predictions" > "$work/dates.txt"
echo "Serving $(sql -c "select count(*) from api.predictions") predictions ($(wc -l < "$work/ids.txt") establishments, $(wc -l < "$work/dates.txt") dates)." >&2

cat > "$work/mix.lua" <<LUA
local ids, dates = {}, {}
for line in io.lines("$work/ids.txt") do ids[#ids + 1] = line end
for line in io.lines("$work/dates.txt") do dates[#dates + 1] = line end
math.randomseed(os.time())
request = function()
  if math.random(2) == 1 then
    return wrk.format("GET", "/establishments/" .. ids[math.random(#ids)] .. "/prediction")
  end
  return wrk.format("GET", "/predictions?date=" .. dates[math.random(#dates)] .. "&limit=100&offset=" .. (100 * math.random(0, 14)))
end
LUA

start_api "$base" "$work" SOAK_API_PORT

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$server/status"; }
( t=0; while (( t <= duration )); do echo "$t $(rss_kb)"; sleep 5; t=$((t + 5)); done ) > "$work/rss.txt" &
sampler=$!
stop_at_exit "$sampler"

newest="$(tail -1 "$work/dates.txt")"
restores=0
restorer=""
if (( restore_every > 0 )); then
  restores=$(( (duration - 1) / restore_every ))
  ( for _ in $(seq 1 "$restores"); do
      sleep "$restore_every"
      inspections store-api --date "$newest" --source "$sample" --force > /dev/null 2>> "$work/restore.err" \
        || echo "exit $?" >> "$work/restore.failures"
    done ) &
  restorer=$!
  stop_at_exit "$restorer"
fi

echo "Loading $base for ${duration} s: wrk, $threads threads, $connections connections, $(nproc) cores shared with the API and PostgreSQL; $newest stored again $restores times..." >&2
wrk -t"$threads" -c"$connections" -d"${duration}s" --timeout 10s --latency -s "$work/mix.lua" "$base" > "$work/wrk.txt"
wait "$sampler" || true
if [[ -n "$restorer" ]]; then wait "$restorer" || true; fi
sleep 2   # the server polls api.days every Api:RefreshSeconds (1 s)
kill -0 "$server" 2>/dev/null || { echo "soak: the server died" >&2; cat "$work/server.log" >&2; exit 1; }

cat "$work/wrk.txt"
echo
echo "Server RSS (MiB) every 5 s:"
awk '{ printf "  %3d s  %7.1f\n", $1, $2 / 1024 }' "$work/rss.txt"

requests="$(awk '/requests in/ { print $1 }' "$work/wrk.txt")"
non2xx="$(awk '/Non-2xx or 3xx responses:/ { print $5 }' "$work/wrk.txt")"
socket_errors="$(awk '/Socket errors:/ { gsub(",", ""); print $4 + $6 + $8 + $10 }' "$work/wrk.txt")"
rss_15="$(awk '$1 == 15 { print $2 }' "$work/rss.txt")"
rss_end="$(tail -1 "$work/rss.txt" | awk '{ print $2 }')"
growth="$(awk -v a="$rss_15" -v b="$rss_end" 'BEGIN { printf "%.1f", (b - a) * 100 / a }')"
server_errors="$(grep -c ' 5[0-9][0-9] ' "$work/server.log" || true)"
# The first load at start, then one per re-store.
loads="$(grep -c "Serving $newest from memory" "$work/server.log" || true)"

echo
echo "requests: $requests, non-2xx: ${non2xx:-0}, socket errors: ${socket_errors:-0}, 5xx in the access log: $server_errors"
echo "RSS at 15 s: $((rss_15 / 1024)) MiB, at the end: $((rss_end / 1024)) MiB, growth: $growth % (limit $max_growth %)"
echo "$newest stored again $restores times under load; the server loaded it into memory $loads times"
failed=0
if [[ -s "$work/restore.failures" ]]; then echo "soak: FAILED, a re-store failed:" >&2; cat "$work/restore.err" >&2; failed=1; fi
(( loads == restores + 1 )) || { echo "soak: FAILED, expected $((restores + 1)) loads of $newest, saw $loads" >&2; failed=1; }
[[ "${non2xx:-0}" -eq 0 ]] || { echo "soak: FAILED, ${non2xx} responses were not 2xx" >&2; failed=1; }
[[ "${socket_errors:-0}" -eq 0 ]] || { echo "soak: FAILED, ${socket_errors} socket errors" >&2; failed=1; }
awk -v g="$growth" -v m="$max_growth" 'BEGIN { exit !(g <= m) }' || { echo "soak: FAILED, RSS grew $growth % (more than $max_growth %)" >&2; failed=1; }
(( failed == 0 )) && echo "soak: passed"
exit "$failed"
