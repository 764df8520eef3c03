#!/usr/bin/env bash
# The acceptance demo, end to end, on a fresh database of its own:
#   1. predict fresh (ingest ... train, select, bias, predict): green, check results and metadata stored
#   2. the same again: nothing runs
#   3. a deliberately bad check (predict.max_score=-1): its context, no metadata, red, exit code 3
#   4. store-api: the serving table's record      5. monitor: the drift record
#   6. status: the DAG, green, and the DAG as a picture
#   7. serve-api and serve-dashboard on its database: both endpoints' JSON, the dashboard saved as artifacts/dashboard.png
# Usage: scripts/demo.sh [--source FILE.csv|FILE.json|socrata] [--date YYYY-MM-DD]
# Default: the bundled synthetic sample (samples/synthetic-food-inspections.csv) at 2014-09-01.
# The demo shows; the tests assert (Cli.Tests/Prediction/PipelineEndToEndTests.cs plays the same steps), so the
# demo stops only when a step that should succeed fails.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$root/scripts/lib/common.sh"

source_arg="$root/samples/synthetic-food-inspections.csv"
date_arg="2014-09-01"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --source) source_arg="$2"; shift 2 ;;
    --date) date_arg="$2"; shift 2 ;;
    *) echo "usage: scripts/demo.sh [--source FILE|socrata] [--date YYYY-MM-DD]" >&2; exit 2 ;;
  esac
done

"$root/scripts/ensure-deps.sh" || exit 1

# The demo keeps its own embedded cluster, so it always starts fresh and never touches your data.
if [[ $(id -u) -eq 0 ]]; then demo_dir=/var/lib/inspections-demo; else demo_dir="${XDG_DATA_HOME:-$HOME/.local/share}/inspections-demo"; fi
export Ingest__Source="$source_arg"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { printf '$ inspections %s\n' "$*"; inspections "$@"; local rc=$?; printf '(exit code %s)\n' "$rc"; return $rc; }
table() { inspections db psql -- -q -P pager=off -c "$1"; }

step "0. a fresh database: ${DEMO_DATA_DIRECTORY:-$demo_dir}"
fresh_cluster "${DEMO_DATA_DIRECTORY:-$demo_dir}" "${DEMO_PORT:-54330}" left-running 2>&1 || exit 1

step "1. predictions + metadata, fresh: everything the predictions need runs, upstream first"
show predict --date "$date_arg" || { echo "demo: step 1 failed" >&2; exit 1; }
echo
echo "The passing data checks of that predict run, as stored in pipeline.check_results:"
table "select c.check_name, c.passed, c.assertion from pipeline.check_results c join pipeline.task_runs r using (run_id)
     where r.task = 'predict' and r.state = 'succeeded' order by c.check_name"
echo "Its metadata row (pipeline.task_metadata):"
table "select task, parameters->>'date' as date, rows_written, round(duration_ms::numeric) as ms, host, os_user, product_version,
            left(product_commit, 12) as commit, figures from pipeline.task_metadata where task = 'predict'"

step "2. the same again: nothing runs"
show predict --date "$date_arg" || { echo "demo: step 2 failed" >&2; exit 1; }

step "3. a deliberately bad check: predict.max_score=-1 (no score can be <= -1)"
metadata_before=$(sql -c "select count(*) from pipeline.task_metadata")
show predict --date "$date_arg" --check predict.max_score=-1
rc=$?
metadata_after=$(sql -c "select count(*) from pipeline.task_metadata")
echo "exit code $rc (3 = CheckFailed); metadata rows before: $metadata_before, after: $metadata_after"

step "4. store for the API"
show store-api --date "$date_arg" || { echo "demo: step 4 failed" >&2; exit 1; }
table "select prediction_date, count(*) as establishments, count(*) filter (where label = 'fail') as labelled_fail,
            max(score) as top_score, min(model_id) as model_id from api.predictions group by prediction_date"
table "select rank, license, name, round(score::numeric, 4) as score, label from api.predictions order by prediction_date desc, rank limit 5"

step "5. model monitoring"
show monitor --date "$date_arg" || { echo "demo: step 5 failed" >&2; exit 1; }
table "select monitor_date, model_id, reference_rows, current_rows, bins, round(psi::numeric, 4) as psi, round(ks::numeric, 4) as ks,
            round(mean_shift::numeric, 4) as mean_shift, status from monitoring.drift"

step "6. the DAG for $date_arg"
show status --date "$date_arg" || exit 1
mkdir -p "$root/artifacts"
show dag --date "$date_arg" --svg "$root/artifacts/dag.svg" || exit 1

step "7. the HTTP API and the dashboard, on this demo's database"
api="http://127.0.0.1:${DEMO_API_PORT:-5055}"
dashboard="http://127.0.0.1:${DEMO_DASHBOARD_PORT:-8055}"
work="$(mktemp -d)"
at_exit "rm -rf $(printf %q "$work")"
echo "$ inspections serve-api --urls $api &"
start_api "$api" "$work" DEMO_API_PORT
echo "$ inspections serve-dashboard --urls $dashboard &"
"$root/scripts/inspections" serve-dashboard --urls "$dashboard" > "$work/dashboard.out" 2> "$work/dashboard.log" &
dashboard_pid=$!
stop_at_exit "$dashboard_pid"
wait_for_url "$dashboard/" "$dashboard_pid" || { cat "$work/dashboard.log" >&2; echo "demo: the dashboard did not start" >&2; exit 1; }

license=$(sql -c "select license from api.predictions where prediction_date = '$date_arg' order by rank limit 1")
echo
echo "Endpoint 1, one establishment's prediction:"
echo "$ curl -s '$api/establishments/$license/prediction'"
curl -fsS "$api/establishments/$license/prediction" || { echo "demo: endpoint 1 failed" >&2; exit 1; }
echo
echo
echo "Endpoint 2, the day's ranking (the first 3):"
echo "$ curl -s '$api/predictions?date=$date_arg&limit=3'"
curl -fsS "$api/predictions?date=$date_arg&limit=3" || { echo "demo: endpoint 2 failed" >&2; exit 1; }
echo
echo
echo "Swagger UI: $api/swagger (while it runs; from a laptop: ssh -L ${api##*:}:127.0.0.1:${api##*:} <the VM>)"

echo
echo "The dashboard ($dashboard/?date=$date_arg), as a picture:"
"$root/scripts/ensure-deps.sh" --browser >/dev/null || { echo "demo: chromium could not be installed" >&2; exit 1; }
browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome)
# --no-sandbox: chromium's sandbox refuses to run as root; the page is this demo's own.
rm -f "$root/artifacts/dashboard.png"
"$browser" --headless --no-sandbox --disable-gpu --no-first-run --hide-scrollbars --window-size=1280,4200 \
  --screenshot="$root/artifacts/dashboard.png" "$dashboard/?date=$date_arg" >"$work/browser.log" 2>&1
if [[ -s "$root/artifacts/dashboard.png" ]]; then
  echo "  saved artifacts/dashboard.png"
else
  cat "$work/browser.log" >&2; echo "demo: no screenshot of the dashboard" >&2; exit 1
fi

echo
echo "Stopping serve-api and serve-dashboard."
stop_process "$server"
stop_process "$dashboard_pid"
echo
echo "The demo's cluster keeps running, so you can start the servers on it again:"
echo "  Database__DataDirectory=$Database__DataDirectory Database__Port=$Database__Port scripts/inspections serve-api"
echo "  Database__DataDirectory=$Database__DataDirectory Database__Port=$Database__Port scripts/inspections serve-dashboard"
echo "Stop it with:"
echo "  Database__DataDirectory=$Database__DataDirectory scripts/inspections db stop"
echo "Demo complete."
