#!/usr/bin/env bash
# Replays weekly ingest runs over a portal CSV export, the way the cron job would have run them,
# on a throwaway embedded database, and prints what each date loaded; then times features.
#   scripts/replay-ingest.sh FILE.csv [FIRST_MONDAY] [LAST_DATE]
# Defaults: 2012-01-02 .. 2014-09-01. Needs nothing but the repository (and PostgreSQL, as always).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$root/scripts/lib/common.sh"
csv="$(realpath "${1:?usage: scripts/replay-ingest.sh FILE.csv [FIRST_MONDAY] [LAST_DATE]}")"
first="${2:-2012-01-02}"
last="${3:-2014-09-01}"

fresh_cluster "${REPLAY_DATA_DIRECTORY:-$(mktemp -d -t inspections-replay.XXXXXX)}" "${REPLAY_PORT:-54399}" throwaway
inspections db migrate >/dev/null
rows=$(($(wc -l <"$csv") - 1))
echo "replaying $csv ($rows lines) weekly from $first to $last"

printf '%-12s %8s %8s %8s %10s %8s\n' date new updated rejected stored seconds
started=$(now)
day="$first"
while [[ "$day" < "$last" || "$day" == "$last" ]]; do
  t0=$(now)
  inspections ingest --date "$day" --source "$csv" >/dev/null
  seconds=$(seconds_since "$t0")
  sql -F ' ' -c "select coalesce(figures->>'rows_new','0'), coalesce(figures->>'rows_updated','0'),
      coalesce(figures->>'rows_rejected','0'), (select count(*) from raw.inspections)
      from pipeline.task_metadata where task = 'ingest' and parameters->>'date' = '$day'" |
    while read -r new updated rejected stored; do
      printf '%-12s %8s %8s %8s %10s %8.2f\n' "$day" "$new" "$updated" "$rejected" "$stored" "$seconds"
      echo "$day $stored" >> "$Database__DataDirectory/stored.txt"
    done
  day=$(date -d "$day + 7 days" +%F)
done
echo "weekly replay: $(printf %.1f "$(seconds_since "$started")") s in all"

# After the last date the table holds every source row (nothing is ever deleted), so the rows dated up
# to each Monday there are the source's rows up to that Monday: each date must have stored exactly those.
mismatches=0
while read -r day stored; do
  expected=$(sql -c "select count(*) from raw.inspections where inspection_date <= '$day'")
  [[ "$stored" == "$expected" ]] || { echo "MISMATCH $day: stored $stored, source rows up to that date $expected"; mismatches=$((mismatches + 1)); }
done < "$Database__DataDirectory/stored.txt"
rejected=$(sql -c "select count(*) from raw.rejects")
echo "stored = source rows dated up to each date: $(( $(wc -l < "$Database__DataDirectory/stored.txt") - mismatches )) of $(wc -l < "$Database__DataDirectory/stored.txt") dates ($rejected rejects in all)"
[[ $mismatches -eq 0 ]] || exit 1

# One full load of the whole file on a fresh database, then clean and features, each timed by the task engine.
sql -c "truncate pipeline.source, raw.inspections, raw.rejects, clean.inspections, clean.violations,
    features.snapshots, features.cohort, pipeline.task_runs, pipeline.check_results, pipeline.task_metadata cascade" >/dev/null
inspections features --date "$last" --source "$csv"
sql -c "select task || ': ' || round(duration_ms::numeric / 1000, 2) || ' s, ' || rows_written || ' rows'
    || case when task = 'ingest' then ', ' || round((figures->>'rows_read')::numeric / (duration_ms::numeric / 1000)) || ' rows read/s' else '' end
    from pipeline.task_metadata order by finished_at"
