#!/usr/bin/env bash
# Replays the weekly cron job over a portal CSV export on a throwaway embedded database:
#   train --date FIRST, then `run --date D` for every Monday D from FIRST to LAST, checking that
#   every run exits 0, that a rerun writes nothing, and that each date got predictions, a serving
#   table and a monitoring row. (That a bad check exits 3 and writes nothing is the tests' to assert:
#   Cli.Tests/Prediction/PipelineEndToEndTests.cs.)
# Prints the wall time of each task (from the run metadata) and of each weekly run.
#   scripts/replay-weekly.sh FILE.csv [FIRST_MONDAY] [LAST_MONDAY]     (defaults 2014-01-06 .. 2014-08-25)
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$root/scripts/lib/common.sh"
csv="$(realpath "${1:?usage: scripts/replay-weekly.sh FILE.csv [FIRST_MONDAY] [LAST_MONDAY]}")"
first="${2:-2014-01-06}"
last="${3:-2014-08-25}"

export Ingest__Source="$csv"
values() { sql -F ' ' -c "$1"; }
logs="$(mktemp -d -t inspections-weekly-logs.XXXXXX)"
at_exit "rm -rf $(printf %q "$logs")"
fail() { echo "REPLAY FAILED: $*" >&2; exit 1; }

fresh_cluster "${REPLAY_DATA_DIRECTORY:-$(mktemp -d -t inspections-weekly.XXXXXX)}" "${REPLAY_PORT:-54398}" throwaway || fail "no database"
inspections db migrate >/dev/null || fail "no database"
t0=$(now)
inspections train --date "$first" >"$logs"/train.out 2>&1 || { cat "$logs"/train.out; fail "train $first"; }
echo "train --date $first: $(printf %.1f "$(seconds_since "$t0")") s"
grep -A20 "^Candidates" "$logs"/train.out

printf '\n%-12s %7s %9s %8s %8s %7s %s\n' date run_s rerun_s scored served status drift
day="$first"
while [[ "$day" < "$last" || "$day" == "$last" ]]; do
  t0=$(now)
  inspections run --date "$day" >"$logs"/run.out 2>&1 || { cat "$logs"/run.out; fail "run $day"; }
  t1=$(now)
  before=$(values "select (select count(*) from pipeline.task_runs), (select count(*) from pipeline.task_metadata)")
  inspections run --date "$day" >"$logs"/rerun.out 2>&1 || fail "rerun $day"
  t2=$(now)
  grep -q "everything already complete" "$logs"/rerun.out || fail "the rerun of $day ran something"
  [[ "$(values "select (select count(*) from pipeline.task_runs), (select count(*) from pipeline.task_metadata)")" == "$before" ]] || fail "the rerun of $day wrote rows"
  read -r scored served status psi < <(values "select (select count(*) from predictions.scores where prediction_date = '$day'),
      (select count(*) from api.predictions where prediction_date = '$day'),
      (select status from monitoring.drift where monitor_date = '$day'), (select round(psi::numeric, 3) from monitoring.drift where monitor_date = '$day')")
  [[ "$scored" -gt 0 && "$scored" == "$served" && -n "$status" ]] || fail "$day has $scored predictions, $served served, monitoring '$status'"
  printf '%-12s %7.1f %9.2f %8s %8s %7s psi=%s\n' "$day" "$(seconds_since "$t0" "$t1")" "$(seconds_since "$t1" "$t2")" \
    "$scored" "$served" "$status" "$psi"
  day=$(date -d "$day + 7 days" +%F)
done

echo
echo "Mean wall time per task over the weekly runs (from pipeline.task_metadata):"
values "select task, count(*), round(avg(duration_ms)::numeric / 1000, 2) as mean_s, round(max(duration_ms)::numeric / 1000, 2) as max_s
     from pipeline.task_metadata where parameters->>'date' > '$first' group by task order by min(started_at)"
