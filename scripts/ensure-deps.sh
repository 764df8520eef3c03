#!/usr/bin/env bash
# Installs the Debian packages the product and its tests need, when they are missing.
# Usage: scripts/ensure-deps.sh [--browser] [--wrk] [--time] [--haproxy]
#   --browser adds chromium (the dashboard tests), --wrk wrk (the API benchmark and soak), --time GNU time
#   (bench.sh's peak RSS), --haproxy HAProxy (scale-out.sh's load balancer)
set -euo pipefail

packages=(postgresql-15 libgomp1 fonts-dejavu-core)
for option in "$@"; do
  case "$option" in
    --browser) packages+=(chromium) ;;
    --wrk) packages+=(wrk) ;;
    --time) packages+=(time) ;;
    --haproxy) packages+=(haproxy) ;;
    *) echo "usage: scripts/ensure-deps.sh [--browser] [--wrk] [--time] [--haproxy]" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

as_root=()
[[ $(id -u) -ne 0 ]] && as_root=(sudo)
echo "Installing missing Debian packages: ${missing[*]}" >&2
"${as_root[@]}" apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
