#!/usr/bin/env bash
# docker_test.sh ETCHSIM: the compose cluster end to end. Builds the images,
# brings up 30 chip containers + coordinator + Prometheus on a private
# network, runs R1 on the 30 chips through the coordinator and checks the
# report equals the in-process one byte for byte, checks Prometheus has
# series from all 30 chips, that every page of Prometheus's web UI and our
# console answer, that the latency histograms, the run's identity and the
# report's figures (the same $/M as the report) are exported after the
# run, cuts the network between two chip containers during a second run
# and checks the run fails naming both and the cut, stops one chip
# container during a third run and checks the run
# fails naming that chip with a cause a person can act on, that Prometheus
# reports it down with one alert (EtchsimChipDown, no RPC-error flood),
# then tears everything down and checks nothing is left.
#
# Skipped (exit 77) when no Docker daemon answers. The workload is the
# default cluster with 2 requests of 1,024 + 128 tokens (the full default,
# 10 x 1,024 + 1,024, takes ~13 min over containers here); set
# ETCHSIM_DOCKER_FULL=1 to run the default scenario unchanged.
set -u
source "$(dirname "$0")/docker_lib.sh"

echo "== images"
"$here/deploy/build-images.sh" "$(dirname "$etchsim")" || fail "image build failed"
echo "== compose up (30 chips)"
compose_up --chips 30

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
[ -n "$(prom_wait 'etchsim_cluster_cost_usd_per_hour{role="coordinator"}')" ] || fail "no coordinator cost series"

echo "== Prometheus web UI and console"
page() {  # page PATH -> HTTP status
  curl -sL -o "$dir/page" -w '%{http_code}' --max-time 10 "http://127.0.0.1:$ETCHSIM_PROMETHEUS_PORT$1"
}
# Debian's prometheus 2.42 is built without the React UI: its pages are the
# classic ones (/ and /graph serve the classic graph page).
for p in / /graph /classic/graph /classic/targets /classic/alerts /classic/rules /classic/status \
  /classic/config /classic/flags /classic/service-discovery /consoles/etchsim.html; do
  code=$(page "$p")
  [ "$code" = 200 ] || fail "Prometheus page $p answered $code"
  grep -qi 'error executing template\|template: ' "$dir/page" && fail "page $p: template error: $(grep -m1 -i template "$dir/page")"
done
# Every script and style sheet the classic pages load is there.
for p in /classic/graph /classic/targets /classic/alerts; do
  page "$p" > /dev/null
  for asset in $(grep -o '/classic/static/[^"?]*' "$dir/page" | sort -u); do
    code=$(page "$asset")
    [ "$code" = 200 ] || fail "$p loads $asset, which answered $code"
  done
done
page /classic/targets > /dev/null
grep -q 'chip-29' "$dir/page" || fail "/classic/targets does not list chip-29"
echo "web UI: /, /graph and /classic/{graph,targets,alerts,rules,status,config,flags,service-discovery} with their assets, console"

echo "== histograms, run identity and the report's figures after the run"
buckets=$(prom_wait 'count(etchsim_ttft_seconds_bucket{role="coordinator"})')
[ "$buckets" = 49 ] || fail "etchsim_ttft_seconds has $buckets buckets, want 49 (48 bounds and +Inf)"
for h in ttft tpot itl e2e kv_queue; do
  c=$(prom_wait "etchsim_${h}_seconds_count{role=\"coordinator\"}")
  [ -n "$c" ] || fail "no etchsim_${h}_seconds histogram"
done
want=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["requests_completed"])' "$dir/compose.json")
got=$(prom_wait 'etchsim_ttft_seconds_count{role="coordinator"}')
[ "$got" = "$want" ] || fail "etchsim_ttft_seconds_count = $got, the report completed $want requests"
[ -n "$(prom_wait 'etchsim:ttft_seconds:p99')" ] || fail "no etchsim:ttft_seconds:p99 recording rule"
[ "$(prom_wait 'count(etchsim_run_info{chips="30"})')" = 1 ] || fail "no single etchsim_run_info{chips=\"30\"}"
usd=$(prom_wait 'etchsim_report_usd_per_million_tokens')
python3 - "$dir/compose.json" "$usd" <<'PY' || fail "report \$/M differs from etchsim_report_usd_per_million_tokens=$usd"
import json, sys
want = json.load(open(sys.argv[1]))["usd_per_million_tokens"]
got = float(sys.argv[2])
sys.exit(0 if abs(got - want) <= 1e-9 * max(1, abs(want)) else 1)
PY
page /consoles/etchsim.html > /dev/null
usd4=$(python3 -c 'import json,sys; print("%.4f" % json.load(open(sys.argv[1]))["usd_per_million_tokens"])' "$dir/compose.json")
grep -qF "\$$usd4" "$dir/page" || fail "the console does not show the report's \$$usd4 per million tokens"
echo "histograms of 5 latencies; run info; report \$/M $usd4 on the console"

if [ -n "${ETCHSIM_SCREENSHOT:-}" ] && command -v chromium > /dev/null; then
  # The console after a finished run: the report's figures and this run's.
  "$etchsim" simulate --users 8 --requests 16 --output-len 64 \
    --coordinator="127.0.0.1:$ETCHSIM_COORDINATOR_PORT" > /dev/null 2>&1 || fail "screenshot run failed"
  sleep 4
  chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1400,1500 \
    --screenshot="$ETCHSIM_SCREENSHOT" \
    "http://127.0.0.1:$ETCHSIM_PROMETHEUS_PORT/consoles/etchsim.html" > /dev/null 2>&1
  echo "screenshot: $ETCHSIM_SCREENSHOT"
fi

echo "== network cut between chip-6 and chip-7 during a run"
# Both containers keep running and answer the coordinator; only packets
# between the two are dropped (iptables in chip-7's network namespace,
# entered from the host: the image has no shell).
if command -v nsenter > /dev/null && command -v iptables > /dev/null; then
  pid7=$(docker inspect -f '{{.State.Pid}}' "$(dc ps -q chip-7)")
  ip6=$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$(dc ps -q chip-6)")
  cut=(-s "$ip6" -j DROP)
  "$etchsim" simulate --users 8 --requests 400 --output-len 512 --progress \
    --coordinator="127.0.0.1:$ETCHSIM_COORDINATOR_PORT" > "$dir/cut.out" 2> "$dir/cut.err" &
  sim=$!
  for ((i = 0; i < 300; i++)); do grep -q '^virtual 0\.0[0-9]*[1-9]' "$dir/cut.err" && break; sleep 0.2; done
  nsenter -t "$pid7" -n iptables -I INPUT "${cut[@]}" || fail "iptables in chip-7's namespace failed"
  nsenter -t "$pid7" -n iptables -I OUTPUT -d "$ip6" -j DROP
  t0=$(date +%s.%N)
  rc=124
  for ((i = 0; i < 600; i++)); do
    if ! kill -0 "$sim" 2>/dev/null; then wait "$sim"; rc=$?; break; fi
    sleep 0.1
  done
  cut_s=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
  nsenter -t "$pid7" -n iptables -D INPUT "${cut[@]}"
  nsenter -t "$pid7" -n iptables -D OUTPUT -d "$ip6" -j DROP
  [ "$rc" = 124 ] && { kill "$sim"; fail "the run hung after the network between chip-6 and chip-7 was cut"; }
  [ "$rc" = 0 ] && fail "the run succeeded across a cut network"
  grep -q 'the network between chip [67] .* and chip [67] .* is cut' "$dir/cut.err" ||
    fail "the error does not name the cut between chip 6 and chip 7: $(grep -m1 '^etchsim:' "$dir/cut.err")"
  echo "run failed as it should (exit $rc, ${cut_s} s after the cut): $(grep -m1 '^etchsim:' "$dir/cut.err")"
else
  echo "SKIP network cut: nsenter or iptables not installed"
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
grep -q 'exited or is unreachable' "$dir/fail.err" || fail "the error gives no cause to act on: $(grep -m1 '^etchsim:' "$dir/fail.err")"
echo "run failed as it should (exit $rc): $(grep -m1 '^etchsim:' "$dir/fail.err")"
up=""
for ((i = 0; i < 20; i++)); do up=$(prom 'up{service="chip-7"}'); [ "$up" = 0 ] && break; sleep 1; done
[ "$up" = 0 ] || fail "Prometheus does not see chip-7 down (up=$up)"
echo "Prometheus: up{service=\"chip-7\"} = 0"
down=""
for ((i = 0; i < 30; i++)); do
  down=$(prom 'count(ALERTS{alertname="EtchsimChipDown",alertstate="firing"})')
  [ "$down" = 1 ] && break
  sleep 1
done
[ "$down" = 1 ] || fail "EtchsimChipDown firing $down times, want 1"
sleep 4
flood=$(prom 'count(ALERTS{alertstate="firing",alertname!="EtchsimChipDown"})')
[ -z "$flood" ] || fail "$flood other alerts fire beside EtchsimChipDown"
echo "one alert: EtchsimChipDown"

echo "== teardown"
teardown || fail "compose down failed"
left=$(docker ps -aq --filter "label=com.docker.compose.project=$project" | wc -l)
nets=$(docker network ls -q --filter "label=com.docker.compose.project=$project" | wc -l)
vols=$(docker volume ls -q --filter "label=com.docker.compose.project=$project" | wc -l)
[ "$left$nets$vols" = 000 ] || fail "left behind: $left containers, $nets networks, $vols volumes"
echo "nothing left behind"
echo PASS
