#!/usr/bin/env bash
# Benchmarks the whole DAG on the real export and on a 1M-row bootstrapped set; prints Markdown.
#
#   scripts/bench.sh [REAL.csv]
#
# For each data set, on a fresh embedded cluster of its own (stopped and removed at the end):
# `ingest`, `clean`, `features`, `train` (train, select, bias) and `run` (predict, store-api, monitor)
# as separate invocations at the same --date, so each has its own peak RSS (GNU time); each task's
# wall time comes from pipeline.task_metadata. Then `run` again, which has nothing to do. Then the
# HTTP API benchmark (scripts/bench-api.sh) over the real set's predictions.
# Tunables: BENCH_REAL_DATE (2014-08-25), BENCH_SCALE_ROWS (1000000), BENCH_SCALE_DATE (2024-12-30),
# BENCH_REAL=0 / BENCH_SCALE=0 (skip a set), BENCH_API=0 (skip the API), BENCH_PORT (54371, and +1).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$root/scripts/lib/common.sh"
real_csv="$(realpath "${1:-$root/../shared/data/chicago/food-inspections-2010-01-to-2014-08.csv}")"
real_date="${BENCH_REAL_DATE:-2014-08-25}"
scale_rows="${BENCH_SCALE_ROWS:-1000000}"
scale_date="${BENCH_SCALE_DATE:-2024-12-30}"   # the last Monday of the generated set
scale_csv="$root/artifacts/inspections-$scale_rows.csv"
port="${BENCH_PORT:-54371}"

"$root/scripts/ensure-deps.sh" --time >&2
work="$(mktemp -d)"
at_exit "rm -rf $(printf %q "$work")"
build_inspections

# Runs one verb under GNU time; appends "verb|wall s|peak RSS KiB|exit|CLI CPU s|PostgreSQL CPU s" to $work/verbs.
timed() {
  local label="$1"; shift
  local code=0 pg_before
  pg_before="$(postgres_cpu_seconds)"
  /usr/bin/time -f '%e %M %U %S' -o "$work/time" "$root/scripts/inspections" "$@" >"$work/$label.out" 2>"$work/$label.err" || code=$?
  sleep 0.2   # let the postmaster reap the command's backends
  read -r wall rss user sys < <(tail -1 "$work/time")
  echo "$label|$wall|$rss|$code|$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')|$(seconds_since "$pg_before" "$(postgres_cpu_seconds)")" >> "$work/verbs"
  if [[ $code -ne 0 ]]; then
    echo "$label exited $code:" >&2; tail -20 "$work/$label.err" >&2; tail -5 "$work/$label.out" >&2
  fi
}

verb_field() { awk -F'|' -v v="$1" -v f="$2" '$1 == v { print $f }' "$work/verbs"; }
mib() { awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'; }

# bench_set NAME CSV DATE PORT: prints the Markdown table of one data set.
bench_set() {
  local name="$1" csv="$2" date="$3" db_port="$4"
  local dir; dir="$(mktemp -d "${TMPDIR:-/tmp}/inspections-bench.XXXXXX")"
  : > "$work/verbs"
  fresh_cluster "$dir" "$db_port" throwaway >/dev/null 2>&1
  inspections db migrate >/dev/null 2>&1

  local rows=$(($(wc -l < "$csv") - 1))
  echo "Benchmarking $name ($rows lines, --date $date)..." >&2
  local verb
  for verb in ingest clean features train run; do
    timed "$verb" "$verb" --date "$date" --source "$csv"
  done
  timed rerun run --date "$date" --source "$csv"
  grep -q "already complete" "$work/rerun.out" || { echo "the rerun did something:" >&2; cat "$work/rerun.out" >&2; }

  echo
  echo "### $name: $rows CSV lines, --date $date"
  echo
  markdown_header task "verb invocation" ">task wall s" ">rows written" ">verb wall s" ">verb CPU s: CLI + PostgreSQL" ">verb peak RSS MiB"
  sql -c "select task, round((duration_ms / 1000.0)::numeric, 2), rows_written,
             case when task = 'ingest' then round((figures->>'rows_read')::numeric / (duration_ms / 1000.0)) end
           from pipeline.task_metadata order by finished_at" > "$work/tasks"
  local task seconds written rate shown=""
  while IFS='|' read -r task seconds written rate; do
    case "$task" in
      ingest|clean|features) verb="$task" ;;
      train|select|bias) verb=train ;;
      *) verb=run ;;
    esac
    # A verb's own figures go on the row of its first task.
    if [[ " $shown " != *" $verb "* ]]; then
      markdown_row "$task" "\`$verb\`" "$seconds" "$written" "$(verb_field "$verb" 2)" \
        "$(verb_field "$verb" 5) + $(verb_field "$verb" 6)" "$(mib "$(verb_field "$verb" 3)")"
      shown="$shown $verb"
    else
      markdown_row "$task" "\`$verb\`" "$seconds" "$written" "" "" ""
    fi
    [[ "$task" == ingest ]] && echo "$rate" > "$work/ingest-rate"
  done < "$work/tasks"
  local task_total verb_total peak
  task_total="$(sql -c "select round((sum(duration_ms) / 1000.0)::numeric, 2) from pipeline.task_metadata")"
  verb_total="$(awk -F'|' '$1 != "rerun" { s += $2 } END { printf "%.2f", s }' "$work/verbs")"
  peak="$(awk -F'|' '$1 != "rerun" && $3 > m { m = $3 } END { print m }' "$work/verbs")"
  local cpu; cpu="$(awk -F'|' '$1 != "rerun" { c += $5; p += $6 } END { printf "%.2f + %.2f", c, p }' "$work/verbs")"
  markdown_row "**whole DAG**" "5 invocations" "**$task_total**" "" "**$verb_total**" "**$cpu**" "**$(mib "$peak")** (max)"
  markdown_row "no-op rerun (\`run\` again: everything already complete)" "\`run\`" "" 0 "$(verb_field rerun 2)" \
    "$(verb_field rerun 5) + $(verb_field rerun 6)" "$(mib "$(verb_field rerun 3)")"
  echo
  echo "Ingest: $(cat "$work/ingest-rate") rows read/s (parse, COPY into a temp table, upsert)."
  local failed; failed="$(awk -F'|' '$4 != 0 { print $1 " (exit " $4 ")" }' "$work/verbs")"
  [[ -z "$failed" ]] || echo "Failed invocations: $failed"
  if [[ "$name" == real && "${BENCH_API:-1}" != 0 ]]; then
    inspections db stop >/dev/null 2>&1
    echo
    echo "### HTTP API over the real set's predictions of $date"
    echo
    BENCH_DATA_DIRECTORY="$dir" BENCH_DB_PORT="$db_port" BENCH_KEEP_DATA=1 "$root/scripts/bench-api.sh" 2>/dev/null | sed '/^$/d'
  fi
  inspections db stop >/dev/null 2>&1 || true
}

echo "## Benchmark $(date -u +%F), commit $(git -C "$root" rev-parse --short HEAD)"
echo
echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(free -h | awk '/^Mem:/ { print $2 }') RAM;"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg). Peak RSS is the CLI process's; PostgreSQL's memory is separate."
[[ "${BENCH_REAL:-1}" == 0 ]] || bench_set real "$real_csv" "$real_date" "$port"

if [[ "${BENCH_SCALE:-1}" != 0 ]]; then
  if [[ ! -f "$scale_csv" ]]; then
    echo "Generating $scale_csv..." >&2
    mkdir -p "$root/artifacts"
    dotnet run "$root/scripts/scale-data.cs" -- "$real_csv" "$scale_csv" "$scale_rows" 42 >&2
  fi
  bench_set scale "$scale_csv" "$scale_date" "$((port + 1))"
fi
echo
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
