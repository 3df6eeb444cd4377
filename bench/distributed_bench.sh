#!/usr/bin/env bash
# distributed_bench.sh [ETCHSIM]: wall time of the same scenario in process
# and over chip processes on 127.0.0.1 (--distributed=local, one process per
# stage), and their ratio. Checks the two reports are identical. Process
# start-up is timed separately (a one-token run) and reported, not removed.
set -eu
etchsim=${1:-build/release/etchsim}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
now() { date +%s.%N; }
run() {  # name args...
  local name=$1; shift
  local t0 t1 t2
  t0=$(now); "$etchsim" simulate "$@" --format=json > "$dir/a.json"; t1=$(now)
  "$etchsim" simulate "$@" --format=json --distributed=local > "$dir/b.json" 2>/dev/null; t2=$(now)
  cmp -s "$dir/a.json" "$dir/b.json" || { echo "$name: reports differ"; exit 1; }
  local stages vt
  stages=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["num_stages"])' "$dir/a.json" 2>/dev/null || echo "?")
  vt=$(python3 -c 'import json,sys; print(round(json.load(open(sys.argv[1]))["end_s"], 4))' "$dir/a.json" 2>/dev/null || echo "?")
  python3 - "$name" "$stages" "$vt" "$t0" "$t1" "$t2" <<'PY'
import sys
name, stages, vt, t0, t1, t2 = sys.argv[1], sys.argv[2], sys.argv[3], *map(float, sys.argv[4:])
a, b = t1 - t0, t2 - t1
print(f"| {name} | {stages} | {vt} | {a:.3f} | {b:.2f} | 1/{b / a:.0f} |")
PY
}
echo "| scenario | chip processes | virtual s | in-process wall s | distributed wall s | speed ratio |"
echo "|---|---|---|---|---|---|"
run "start-up only: R1, 1 token" --requests 1 --input-len 1 --output-len 1
run "R1 on 30 hc2, 1 user, 1 x 1024/256" --requests 1 --output-len 256
run "R1 on 30 hc2, 75 users, 150 x 1024/64" --users 75 --requests 150 --output-len 64
run "Llama 3.1 70B on 4 hc2, 16 users, 64 x 512/128" --model llama-3.1-70b --chips 4 --users 16 --requests 64 --input-len 512 --output-len 128
