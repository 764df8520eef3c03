#!/usr/bin/env bash
# Benchmarks the HTTP API with wrk and prints a Markdown table (requests/s, p50, p99 latency, CPU, load average).
#
#   scripts/bench-api.sh            store days with the pipeline, serve them, load endpoints 1 and 2, the dates
#                                   list and the model card, stop
#
# Endpoint 2 is measured for random stored dates, for one older date (the oldest: never the day held whole in
# memory, so it is the page cache's and PostgreSQL's) and for the newest date.
#
# It uses its own embedded cluster (BENCH_DATA_DIRECTORY, BENCH_DB_PORT) so it never touches the
# database you work with. It fills it as cron would: `run` (ingest .. store-api, monitor) for BENCH_DATES
# dates a week apart ending BENCH_LAST_DATE, over BENCH_SOURCE, so the API serves stored days the product
# wrote. Tunables: BENCH_API_PORT (5055), BENCH_CONNECTIONS ("16 64": endpoint 1 is measured at each of
# these connection counts, endpoint 2 at the last one), BENCH_DURATION (30s), BENCH_THREADS (2),
# BENCH_WARMUP (5s), BENCH_SOURCE (the bundled sample; e.g. ../shared/data/chicago/food-inspections-2010-01-to-2014-08.csv
# for the real export), BENCH_DATES (30), BENCH_LAST_DATE (2014-08-25, within both);
# BENCH_KEEP_DATA=1 serves the predictions already in that cluster (a previous fill, or a pipeline run's) instead.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$root/scripts/lib/common.sh"

data_directory="${BENCH_DATA_DIRECTORY:-${TMPDIR:-/tmp}/inspections-bench-api}"
db_port="${BENCH_DB_PORT:-54339}"
port="${BENCH_API_PORT:-5055}"
connections_list="${BENCH_CONNECTIONS:-16 64}"
connections="${connections_list##* }"
duration="${BENCH_DURATION:-30s}"
threads="${BENCH_THREADS:-2}"
warmup="${BENCH_WARMUP:-5s}"
source_file="$(realpath "${BENCH_SOURCE:-$root/samples/synthetic-food-inspections.csv}")"
dates="${BENCH_DATES:-30}"
last_date="${BENCH_LAST_DATE:-2014-08-25}"
base="http://127.0.0.1:$port"

"$root/scripts/ensure-deps.sh" --wrk >&2
work="$(mktemp -d)"
at_exit "rm -rf $(printf %q "$work")"
build_inspections

# --- The data served. ----------------------------------------------------------------------------
if [[ "${BENCH_KEEP_DATA:-0}" == 1 ]]; then
  use_cluster "$data_directory" "$db_port"
else
  fresh_cluster "$data_directory" "$db_port"
  echo "Storing $dates days with the pipeline over $source_file, weekly to $last_date..." >&2
  started="$(now)"
  store_days "$source_file" $(weekly_dates "$last_date" "$dates")
  echo "Stored $dates days in $(seconds_since "$started") s." >&2
fi
sql -c "vacuum analyze api.predictions"   # what autovacuum does after store-api writes a day
# ------------------------------------------------------------------------------------------------

sql -c "select distinct license from api.predictions" > "$work/ids.txt"
sql -c "select distinct prediction_date from api.predictions" > "$work/dates.txt"
newest="$(sql -c "select max(prediction_date) from api.predictions")"
oldest="$(sql -c "select min(prediction_date) from api.predictions")"
rows="$(sql -c "select count(*) from api.predictions")"
# Endpoint 2 asks for one of the first 10 pages of 100, or of as many full pages as the smallest day has.
pages="$(sql -c "select least(10, greatest(1, min(n) / 100)) from (select count(*) as n from api.predictions group by prediction_date) days")"
echo "Serving $rows predictions ($(wc -l < "$work/ids.txt") establishments, $(wc -l < "$work/dates.txt") dates)." >&2

cat > "$work/endpoint1.lua" <<LUA
local ids = {}
for line in io.lines("$work/ids.txt") do ids[#ids + 1] = line end
math.randomseed(os.time())
request = function()
  return wrk.format("GET", "/establishments/" .. ids[math.random(#ids)] .. "/prediction")
end
LUA
cat > "$work/endpoint2.lua" <<LUA
local dates = {}
for line in io.lines("$work/dates.txt") do dates[#dates + 1] = line end
math.randomseed(os.time())
request = function()
  return wrk.format("GET", "/predictions?date=" .. dates[math.random(#dates)] .. "&limit=100&offset=" .. (100 * math.random(0, $pages - 1)))
end
LUA

cat > "$work/endpoint2-newest.lua" <<LUA
math.randomseed(os.time())
request = function()
  return wrk.format("GET", "/predictions?date=$newest&limit=100&offset=" .. (100 * math.random(0, $pages - 1)))
end
LUA

cat > "$work/endpoint2-older.lua" <<LUA
math.randomseed(os.time())
request = function()
  return wrk.format("GET", "/predictions?date=$oldest&limit=100&offset=" .. (100 * math.random(0, $pages - 1)))
end
LUA
printf 'request = function() return wrk.format("GET", "/predictions/dates") end\n' > "$work/dates.lua"
printf 'request = function() return wrk.format("GET", "/models/current") end\n' > "$work/model.lua"

start_api "$base" "$work" BENCH_API_PORT

# Prints one Markdown row: name, connections, requests, requests/s, p50, p99, non-2xx, CPU per request of the API
# and of PostgreSQL, their CPU seconds over the row, and the load average at its end (the machine is shared: CPU time
# tells the cost per request apart from what the rest of the machine does, the load says how much else ran).
measure() {
  local name="$1" script="$2" connections="$3" out="$work/$(basename "$2" .lua)-$3.txt"
  wrk -t"$threads" -c"$connections" -d"$warmup" -s "$script" "$base" >/dev/null   # JIT, pool and cache warm-up
  local api_before pg_before
  api_before="$(cpu_seconds "$server")"
  pg_before="$(postgres_cpu_seconds)"
  wrk -t"$threads" -c"$connections" -d"$duration" --latency -s "$script" "$base" > "$out"
  awk -v name="$name" -v connections="$connections" -v api="$(seconds_since "$api_before" "$(cpu_seconds "$server")")" \
      -v pg="$(seconds_since "$pg_before" "$(postgres_cpu_seconds)")" -v load="$(cut -d' ' -f1 /proc/loadavg)" '
    /Requests\/sec:/ { rps = $2 }
    /^ +50%/ { p50 = $2 }
    /^ +99%/ { p99 = $2 }
    /requests in/ { total = $1 }
    /Non-2xx or 3xx responses:/ { bad = $5 }
    END { printf "| %s | %d | %s | %.0f | %s | %s | %d | %.0f | %.0f | %.1f + %.1f | %s |\n", name, connections, total, rps, p50, p99, bad,
                 api * 1e6 / total, pg * 1e6 / total, api, pg, load }' "$out"
}

echo
echo "wrk, $threads threads, $duration per row, $(nproc) cores shared by wrk, the API and PostgreSQL; load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
markdown_header endpoint ">connections" ">requests" ">requests/s" ">p50" ">p99" ">non-2xx" ">API CPU µs/request" ">PostgreSQL CPU µs/request" ">CPU s: API + PostgreSQL" ">load"
for c in $connections_list; do
  measure "GET /establishments/{id}/prediction" "$work/endpoint1.lua" "$c"
done
measure "GET /predictions?date=D&limit=100 (any of the $(wc -l < "$work/dates.txt") dates)" "$work/endpoint2.lua" "$connections"
measure "GET /predictions?date=D&limit=100 (an older date, $oldest)" "$work/endpoint2-older.lua" "$connections"
measure "GET /predictions?date=D&limit=100 (newest date)" "$work/endpoint2-newest.lua" "$connections"
measure "GET /predictions/dates" "$work/dates.lua" "$connections"
measure "GET /models/current" "$work/model.lua" "$connections"
