#!/usr/bin/env bash
# The product's main job, shown end to end. For now: start the embedded database and show its status.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/ensure-deps.sh"
inspections() { "$root/scripts/inspections" "$@"; }

echo "== inspections db start"
inspections db start
echo
echo "== inspections db status"
inspections db status
