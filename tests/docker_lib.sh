# docker_lib.sh: sourced by the compose tests (docker_test.sh,
# docker_server_test.sh). Expects $1 = the etchsim binary. Exits 77 (skip)
# when no Docker daemon or compose tool answers; sets etchsim, here,
# compose, project, dir, the two published ports, and defines dc,
# teardown/cleanup (trapped on exit), fail, prom, prom_wait and compose_up.
# sweep_compose_test.sh uses only the detection and redefines dc and the trap.
set -u
etchsim=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
here=$(cd "$(dirname "$0")/.." && pwd)
if ! docker info > /dev/null 2>&1; then
  echo "SKIP: no Docker daemon answers (docker info failed)"
  exit 77
fi
if command -v docker-compose > /dev/null 2>&1; then
  compose=(docker-compose)
elif docker compose version > /dev/null 2>&1; then
  compose=(docker compose)
else
  echo "SKIP: neither docker-compose nor docker compose is installed"
  exit 77
fi
project=etchsimtest$$
dir=$(mktemp -d)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
export ETCHSIM_COORDINATOR_PORT=$(free_port) ETCHSIM_PROMETHEUS_PORT=$(free_port)
dc() { (cd "$dir/compose" && "${compose[@]}" -p "$project" "$@"); }
teardown() {
  dc down -v --remove-orphans --timeout 5 > "$dir/down.log" 2>&1
}
cleanup() { teardown; rm -rf "$dir"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; for f in "$dir"/*.err; do [ -f "$f" ] && { echo "--- $f"; tail -10 "$f"; }; done; exit 1; }
prom() {  # prom QUERY -> first value or empty (retries a query that times out)
  local out try
  for try in 1 2 3; do
    out=$(curl -sf --max-time 10 "http://127.0.0.1:$ETCHSIM_PROMETHEUS_PORT/api/v1/query" \
      --data-urlencode "query=$1") && break
    sleep 1
  done
  echo "$out" |
    python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "")' 2>/dev/null
}
prom_wait() {  # prom_wait QUERY -> first value, waiting up to 10 s for one
  local v i
  for ((i = 0; i < 10; i++)); do v=$(prom "$1"); [ -n "$v" ] && break; sleep 1; done
  echo "$v"
}
compose_up() {  # compose_up GENERATE_ARGS...: generate into $dir/compose, up, wait for the coordinator
  local i
  mkdir -p "$dir/compose"
  "$here/deploy/compose/generate.py" "$@" --out "$dir/compose" || fail "generate.py failed"
  dc up -d > "$dir/up.err" 2>&1 || fail "compose up failed"
  for ((i = 0; i < 120; i++)); do
    "$etchsim" health "127.0.0.1:$ETCHSIM_COORDINATOR_PORT" > /dev/null 2>&1 && break
    sleep 1
  done
  "$etchsim" health "127.0.0.1:$ETCHSIM_COORDINATOR_PORT" || fail "coordinator not healthy"
}
