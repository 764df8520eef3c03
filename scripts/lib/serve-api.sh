# Sourced by the API's benchmark and soak scripts: starts `inspections serve-api` on BASE in the
# background, logging to WORK/server.out and WORK/server.log, and waits until /ready answers.
# Sets `server` to the server's PID (scripts/inspections execs, so $! is the server itself).
# Usage: start_api ROOT BASE WORK PORT_VARIABLE_NAME
start_api() {
  local root="$1" base="$2" work="$3" port_variable="$4"
  if curl -s -o /dev/null "$base/health"; then
    echo "Something already answers on $base: stop it or set $port_variable." >&2
    exit 1
  fi
  "$root/scripts/inspections" serve-api --urls "$base" > "$work/server.out" 2> "$work/server.log" &
  server=$!
  for _ in $(seq 1 120); do
    curl -fs "$base/ready" >/dev/null 2>&1 && break
    kill -0 "$server" 2>/dev/null || { cat "$work/server.log" >&2; exit 1; }
    sleep 0.5
  done
  curl -fs "$base/ready" >/dev/null
}
