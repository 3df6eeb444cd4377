#!/usr/bin/env bash
# silicon_bench.sh [ETCHSIM]: the silicon model's speed goals
# (docs/BENCHMARKS.md, issue 31).
#   1. `etchsim chips design hc2`: one answer, goal < 100 ms (median of 20).
#   2. A sweep of 1,000 designs at the analytic fidelity (R1 on 30 x @hc2:
#      5 nodes x 10 KV SRAM sizes x 20 clocks, every point a distinct
#      design and build), --jobs=2, goal < 5 s.
set -eu
etchsim=${1:-build/release/etchsim}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
now() { date +%s.%N; }
times=()
for i in $(seq 20); do
  t0=$(now); "$etchsim" chips design hc2 > /dev/null; t1=$(now)
  times+=("$(python3 -c "print(($t1 - $t0) * 1000)")")
done
python3 -c 'import sys, statistics; v=sorted(map(float, sys.argv[1:])); print(f"chips design hc2: median {statistics.median(v):.1f} ms, max {v[-1]:.1f} ms over {len(v)} runs (goal < 100 ms)")' "${times[@]}"
t0=$(now)
"$etchsim" sweep --chip @hc2 --users 1 --axis design.node=N7,N6,N5,N4,N3 \
  --axis design.kv_sram_mb=64:640:64 --axis design.clock_ghz=0.5:2.4:0.1 --jobs 2 \
  --out-dir "$dir/s" > "$dir/s.txt" 2>&1
t1=$(now)
rows=$(($(wc -l < "$dir/s/sweep.csv") - 1))
python3 -c 'import sys; r,a,b=int(sys.argv[1]),float(sys.argv[2]),float(sys.argv[3]); print(f"sweep of {r:,} designs (analytic, --jobs=2): {b-a:.2f} s wall, {r/(b-a):,.0f} points/s (goal < 5 s)")' "$rows" "$t0" "$t1"
tail -1 "$dir/s.txt"
