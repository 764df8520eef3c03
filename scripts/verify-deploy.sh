#!/usr/bin/env bash
# Checks the systemd units in deploy/ (or the folder given) with `systemd-analyze verify`, as systemd would load
# them on the target machine: under a scratch root holding the system's own units and a stand-in for
# /opt/inspections/inspections (verify refuses an ExecStart that does not exist), so it runs on any machine with
# systemd installed, and nothing outside the scratch folder is touched.
#
#   scripts/verify-deploy.sh [DIR]     exit 0: every unit verified; 1: systemd-analyze found a problem;
#                                      77: systemd-analyze is not installed (skipped, with the reason on stderr)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
units="$(cd "${1:-$root/deploy}" && pwd)"

if ! command -v systemd-analyze >/dev/null 2>&1; then
  echo "skipped: systemd-analyze is not installed (Debian package systemd); the units in $units were not verified" >&2
  exit 77
fi

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/opt/inspections" "$scratch/etc/systemd/system" "$scratch/usr/lib/systemd"
printf '#!/bin/sh\nexit 0\n' > "$scratch/opt/inspections/inspections"
chmod +x "$scratch/opt/inspections/inspections"
# The units they depend on (network.target, timers.target, sysinit.target...), as this machine's systemd ships them.
cp -a /usr/lib/systemd/system "$scratch/usr/lib/systemd/"
cp "$units"/*.service "$units"/*.timer "$scratch/etc/systemd/system/"

# verify prints problems and still exits 0 for some of them (an unknown directive): any output is a failure.
output="$(systemd-analyze verify --root="$scratch" "$units"/*.service "$units"/*.timer 2>&1)" && status=0 || status=$?
if [[ $status -ne 0 || -n "$output" ]]; then
  printf '%s\n' "$output" >&2
  echo "systemd-analyze verify: the units in $units have problems (above)" >&2
  exit 1
fi
echo "systemd-analyze verify: $(ls "$units"/*.service "$units"/*.timer | wc -l) units in $units are valid"
