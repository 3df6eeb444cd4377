#!/usr/bin/env bash
# docker_test.sh ETCHSIM: the compose cluster end to end. Builds the images,
# brings up 30 chip containers + coordinator + Prometheus on a private
# network, runs R1 on the 30 chips through the coordinator and checks the
# report equals the in-process one byte for byte, checks Prometheus has
# series from all 30 chips, stops one chip container during a second run
# and checks the run fails naming that chip (and Prometheus reports it
# down), then tears everything down and checks nothing is left.
#
# Skipped (exit 77) when no Docker daemon answers. The workload is the
# default cluster with 2 requests of 1,024 + 128 tokens (the full default,
# 10 x 1,024 + 1,024, takes ~13 min over containers here); set
# ETCHSIM_DOCKER_FULL=1 to run the default scenario unchanged.
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
prom() {  # prom QUERY -> first value or empty
  curl -s --max-time 5 "http://127.0.0.1:$ETCHSIM_PROMETHEUS_PORT/api/v1/query" \
    --data-urlencode "query=$1" |
    python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "")' 2>/dev/null
}

echo "== images"
"$here/deploy/build-images.sh" "$(dirname "$etchsim")" || fail "image build failed"
echo "== compose up (30 chips)"
mkdir -p "$dir/compose"
"$here/deploy/compose/generate.py" --chips 30 --out "$dir/compose" || fail "generate.py failed"
dc up -d > "$dir/up.err" 2>&1 || fail "compose up failed"
for ((i = 0; i < 120; i++)); do
  "$etchsim" health "127.0.0.1:$ETCHSIM_COORDINATOR_PORT" > /dev/null 2>&1 && break
  sleep 1
done
"$etchsim" health "127.0.0.1:$ETCHSIM_COORDINATOR_PORT" || fail "coordinator not healthy"

echo "== default cluster through the coordinator"
if [ "${ETCHSIM_DOCKER_FULL:-0}" = 1 ]; then workload=(); else workload=(--requests 2 --output-len 128); fi
"$etchsim" simulate "${workload[@]}" --format=json > "$dir/inproc.json" || fail "in-process run failed"
"$etchsim" simulate "${workload[@]}" --format=json --coordinator="127.0.0.1:$ETCHSIM_COORDINATOR_PORT" \
  > "$dir/compose.json" 2> "$dir/run.err" || fail "run through the coordinator failed"
cmp -s "$dir/inproc.json" "$dir/compose.json" || { diff "$dir/inproc.json" "$dir/compose.json" | head -20; fail "reports differ"; }
echo "report identical to in-process"

echo "== Prometheus"
sleep 3
n=""
for ((i = 0; i < 30; i++)); do
  n=$(prom 'count(count by (chip) (etchsim_events_processed_total{role="chip"} > 0))')
  [ "$n" = 30 ] && break
  sleep 1
done
[ "$n" = 30 ] || fail "Prometheus has event series from $n chips, want 30"
tps=$(prom 'etchsim:cluster_output_tokens_per_second')
echo "series from all 30 chips; cluster tokens/s (recording rule): ${tps:-none}"
[ -n "$(prom 'etchsim_cluster_cost_usd_per_hour{role="coordinator"}')" ] || fail "no coordinator cost series"

if [ -n "${ETCHSIM_SCREENSHOT:-}" ] && command -v chromium > /dev/null; then
  "$etchsim" simulate --users 8 --requests 400 --output-len 512 \
    --coordinator="127.0.0.1:$ETCHSIM_COORDINATOR_PORT" > /dev/null 2>&1 &
  shot=$!
  sleep 25
  chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1280,1400 \
    --screenshot="$ETCHSIM_SCREENSHOT" \
    "http://127.0.0.1:$ETCHSIM_PROMETHEUS_PORT/consoles/etchsim.html" > /dev/null 2>&1
  kill "$shot" 2>/dev/null; wait "$shot" 2>/dev/null
  echo "screenshot: $ETCHSIM_SCREENSHOT"
  sleep 2
fi

echo "== stop chip-7 during a run"
"$etchsim" simulate --users 8 --requests 400 --output-len 512 --progress \
  --coordinator="127.0.0.1:$ETCHSIM_COORDINATOR_PORT" > "$dir/fail.out" 2> "$dir/fail.err" &
sim=$!
for ((i = 0; i < 300; i++)); do grep -q '^virtual 0\.0[0-9]*[1-9]' "$dir/fail.err" && break; sleep 0.2; done
dc stop -t 2 chip-7 > /dev/null 2>&1
rc=124
for ((i = 0; i < 600; i++)); do
  if ! kill -0 "$sim" 2>/dev/null; then wait "$sim"; rc=$?; break; fi
  sleep 0.1
done
[ "$rc" = 124 ] && { kill "$sim"; fail "the run hung after chip-7 stopped"; }
[ "$rc" = 0 ] && fail "the run succeeded without chip-7"
grep -q 'chip 7' "$dir/fail.err" || fail "the error does not name chip 7"
echo "run failed as it should (exit $rc): $(grep -m1 '^etchsim:' "$dir/fail.err")"
up=""
for ((i = 0; i < 20; i++)); do up=$(prom 'up{service="chip-7"}'); [ "$up" = 0 ] && break; sleep 1; done
[ "$up" = 0 ] || fail "Prometheus does not see chip-7 down (up=$up)"
echo "Prometheus: up{service=\"chip-7\"} = 0"

echo "== teardown"
teardown || fail "compose down failed"
left=$(docker ps -aq --filter "label=com.docker.compose.project=$project" | wc -l)
nets=$(docker network ls -q --filter "label=com.docker.compose.project=$project" | wc -l)
vols=$(docker volume ls -q --filter "label=com.docker.compose.project=$project" | wc -l)
[ "$left$nets$vols" = 000 ] || fail "left behind: $left containers, $nets networks, $vols volumes"
echo "nothing left behind"
echo PASS
