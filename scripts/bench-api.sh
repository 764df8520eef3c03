#!/usr/bin/env bash
# Benchmarks the HTTP API with wrk and prints a Markdown table (requests/s, p50, p99 latency).
#
#   scripts/bench-api.sh            fill a throwaway database, serve it, load endpoints 1 and 2, stop
#
# It uses its own embedded cluster (BENCH_DATA_DIRECTORY, BENCH_DB_PORT) so it never touches the
# database you work with. Tunables: BENCH_API_PORT (5055), BENCH_CONNECTIONS ("16 64": endpoint 1 is
# measured at each of these connection counts, endpoint 2 at the last one), BENCH_DURATION (30s),
# BENCH_THREADS (2), BENCH_WARMUP (5s), BENCH_ESTABLISHMENTS (15000), BENCH_DATES (30);
# BENCH_KEEP_DATA=1 serves the predictions already in that cluster (e.g. a pipeline run's) instead.
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
establishments="${BENCH_ESTABLISHMENTS:-15000}"
dates="${BENCH_DATES:-30}"
base="http://127.0.0.1:$port"

"$root/scripts/ensure-deps.sh" --wrk >&2
work="$(mktemp -d)"
at_exit "rm -rf $(printf %q "$work")"
build_inspections

# --- Step 1: the data served. ------------------------------------------------------------------
# Synthetic for now: N establishments x D weekly dates, scores from a hash, ranks per day.
# Replace this step with the pipeline over the demo data (e.g. `inspections run --date D` for a
# few dates) once it exists; the rest of the script only needs api.predictions to be filled.
fill_synthetic() {
  sql -v establishments="$establishments" -v dates="$dates" <<'SQL'
begin;
delete from api.predictions;
delete from api.days;
insert into api.predictions (prediction_date, license, name, address, facility_group, risk_level,
                             score, label, rank, threshold, model_id)
select d, license, name, address, facility_group, risk_level, score,
       case when score >= 0.5 then 'fail' else 'pass' end,
       row_number() over (partition by d order by score desc, license)::int,
       0.5, 'bench-synthetic'
from (
    select d::date as d, (1000000 + e * 37)::text as license,
           'ESTABLISHMENT ' || e as name, e || ' N STATE ST' as address,
           (array['restaurant', 'grocery', 'bakery', 'school', 'other'])[1 + e % 5] as facility_group,
           (array['Risk 1 (High)', 'Risk 2 (Medium)', 'Risk 3 (Low)'])[1 + e % 3] as risk_level,
           (hashtext(e::text || d::text)::bigint + 2147483648) / 4294967296.0 as score
    from generate_series(1, :establishments) e,
         generate_series(date '2024-01-01', date '2024-01-01' + 7 * (:dates - 1), interval '7 days') d
) synthetic;
-- The day record store-api writes with each day's rows: serve-api keeps the newest day in memory.
insert into api.days (prediction_date, model_id, establishments, fails, stored_at, run_id)
select prediction_date, min(model_id), count(*), count(*) filter (where label = 'fail'), now(), gen_random_uuid()
from api.predictions group by prediction_date;
commit;
vacuum analyze api.predictions;   -- what autovacuum does after store-api writes a day
SQL
}
use_cluster "$data_directory" "$db_port"
if [[ "${BENCH_KEEP_DATA:-0}" == 1 ]]; then
  sql -c "vacuum analyze api.predictions"   # serve what the pipeline stored, as it is
else
  echo "Filling api.predictions ($establishments establishments x $dates dates)..." >&2
  fill_synthetic
fi
# ------------------------------------------------------------------------------------------------

sql -c "select distinct license from api.predictions" > "$work/ids.txt"
sql -c "select distinct prediction_date from api.predictions" > "$work/dates.txt"
newest="$(sql -c "select max(prediction_date) from api.predictions")"
rows="$(sql -c "select count(*) from api.predictions")"
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
  return wrk.format("GET", "/predictions?date=" .. dates[math.random(#dates)] .. "&limit=100&offset=" .. (100 * math.random(0, 9)))
end
LUA

cat > "$work/endpoint2-newest.lua" <<LUA
math.randomseed(os.time())
request = function()
  return wrk.format("GET", "/predictions?date=$newest&limit=100&offset=" .. (100 * math.random(0, 9)))
end
LUA

start_api "$base" "$work" BENCH_API_PORT

# Prints one Markdown row: name, connections, requests, requests/s, p50, p99, non-2xx, CPU per request of the API
# and of PostgreSQL (CPU time, to tell the cost per request apart from what the rest of the machine does).
measure() {
  local name="$1" script="$2" connections="$3" out="$work/$(basename "$2" .lua)-$3.txt"
  wrk -t"$threads" -c"$connections" -d"$warmup" -s "$script" "$base" >/dev/null   # JIT and pool warm-up
  local api_before pg_before
  api_before="$(cpu_seconds "$server")"
  pg_before="$(postgres_cpu_seconds)"
  wrk -t"$threads" -c"$connections" -d"$duration" --latency -s "$script" "$base" > "$out"
  awk -v name="$name" -v connections="$connections" -v api="$(seconds_since "$api_before" "$(cpu_seconds "$server")")" \
      -v pg="$(seconds_since "$pg_before" "$(postgres_cpu_seconds)")" '
    /Requests\/sec:/ { rps = $2 }
    /^ +50%/ { p50 = $2 }
    /^ +99%/ { p99 = $2 }
    /requests in/ { total = $1 }
    /Non-2xx or 3xx responses:/ { bad = $5 }
    END { printf "| %s | %d | %s | %.0f | %s | %s | %d | %.0f | %.0f |\n", name, connections, total, rps, p50, p99, bad,
                 api * 1e6 / total, pg * 1e6 / total }' "$out"
}

echo
echo "wrk, $threads threads, $duration per row, $(nproc) cores shared by wrk, the API and PostgreSQL; load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
markdown_header endpoint ">connections" ">requests" ">requests/s" ">p50" ">p99" ">non-2xx" ">API CPU µs/request" ">PostgreSQL CPU µs/request"
for c in $connections_list; do
  measure "GET /establishments/{id}/prediction" "$work/endpoint1.lua" "$c"
done
measure "GET /predictions?date=D&limit=100 (any date)" "$work/endpoint2.lua" "$connections"
measure "GET /predictions?date=D&limit=100 (newest date)" "$work/endpoint2-newest.lua" "$connections"
