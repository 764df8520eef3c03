#!/usr/bin/env bash
# Installs what a fresh machine lacks, builds, runs every test, and ends with "N passed, N failed".
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

scripts/ensure-deps.sh --browser || { echo "0 passed, 1 failed"; exit 1; }

results="$root/artifacts/test-results"
rm -rf "$results"
mkdir -p "$results"

dotnet test Cli.sln -c Release --nologo --logger "trx;LogFileName=tests.trx" --results-directory "$results" "$@"
status=$?

trx="$results/tests.trx"
if [[ ! -f "$trx" ]]; then
  echo "no test results were written (the build probably failed)"
  echo "0 passed, 1 failed"
  exit 1
fi
counters=$(grep -o '<Counters [^>]*>' "$trx")
count() { sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p" <<<"$counters"; }
passed=$(count passed); failed=$(count failed); total=$(count total); executed=$(count executed)
errors=$(count error); timeouts=$(count timeout); aborted=$(count aborted)
skipped=$(( total - executed ))
failed=$(( failed + errors + timeouts + aborted ))
[[ $status -ne 0 && $failed -eq 0 ]] && failed=1
echo "$passed passed, $failed failed, $skipped skipped"
[[ $failed -eq 0 && $passed -gt 0 ]]
