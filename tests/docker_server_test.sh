#!/usr/bin/env bash
# docker_server_test.sh ETCHSIM: the compose cluster with one chip container
# per server (deploy/compose/generate.py --chips 30 --chips-per-process 10:
# 3 containers of 10 chips, a coordinator and Prometheus). Runs the default
# job (R1 on 30 hc2, 1 user, 1,024 + 1,024 tokens) through the coordinator,
# checks the report equals the in-process one byte for byte, prints the
# wall time (the goal is <= 60 s on the 2-core machine; a timed test would
# be flaky, so the figure goes to docs/BENCHMARKS.md), checks Prometheus
# has token series from all 30 chips and event series from the 3 processes
# labelled by their chips, then tears everything down.
#
# Skipped (exit 77) when no Docker daemon answers.
set -u
source "$(dirname "$0")/docker_lib.sh"

echo "== images"
"$here/deploy/build-images.sh" "$(dirname "$etchsim")" || fail "image build failed"
echo "== compose up (30 chips in 3 server containers)"
compose_up --chips 30 --chips-per-process 10
[ "$(grep -c '^  server-[0-9]*:$' "$dir/compose/docker-compose.yml")" = 3 ] ||
  fail "expected 3 server services in the generated compose file"

echo "== the default job through the coordinator"
"$etchsim" simulate --format=json > "$dir/inproc.json" || fail "in-process run failed"
t0=$(date +%s.%N)
"$etchsim" simulate --format=json --coordinator="127.0.0.1:$ETCHSIM_COORDINATOR_PORT" \
  > "$dir/compose.json" 2> "$dir/run.err" || fail "run through the coordinator failed"
wall=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
cmp -s "$dir/inproc.json" "$dir/compose.json" || {
  diff "$dir/inproc.json" "$dir/compose.json" | head -20
  fail "reports differ"
}
echo "report identical to in-process; ${wall} s wall over 3 server containers"

echo "== Prometheus"
n=""
for ((i = 0; i < 30; i++)); do
  n=$(prom 'count(count by (chip) (etchsim_tokens_processed_total{role="chip"} > 0))')
  [ "$n" = 30 ] && break
  sleep 1
done
[ "$n" = 30 ] || fail "Prometheus has token series from $n chips, want 30"
for chips in 0-9 10-19 20-29; do
  v=$(prom_wait "etchsim_events_processed_total{role=\"chip\",chip=\"$chips\"}")
  [ -n "$v" ] || fail "no event series for the process hosting chips $chips"
done
echo "token series from all 30 chips; event series from the 3 processes"
# The console's per-process link columns: the links of the ten chips a
# server process hosts (the query the console runs for its server-1 row).
mb=$(prom_wait "sum(etchsim_link_bytes_total and on (to) label_replace(etchsim_tokens_processed_total{service='server-1'}, 'to', 'chip\$1', 'chip', '(.*)')) / 1e6")
python3 -c 'import sys; sys.exit(0 if float(sys.argv[1] or 0) > 0 else 1)' "$mb" ||
  fail "no bytes received over the links of server-1's chips (console query gave '$mb')"
echo "console: server-1's chips received $mb MB over their links"
echo "PASS"
