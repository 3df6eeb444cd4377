#!/usr/bin/env bash
# sweep_bench.sh [ETCHSIM]: the sweep speed goals (docs/BENCHMARKS.md).
#   1. 10,000 analytic points (R1 on hc2: 40 chip counts x 5 prompt lengths
#      x 50 user counts; 200 distinct builds), goal <= 10 s.
#   2. The same count with every point a distinct build (100 chip counts x
#      100 output lengths): what the build cache saves.
#   3. 1,000 event-driven single-user R1/30 points (seed axis), goal <= 60 s.
# Each run also checks that --jobs=1 and --jobs=2 give identical bytes
# (run 1 only: the others would take minutes more).
set -eu
etchsim=${1:-build/release/etchsim}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
now() { date +%s.%N; }
run() {  # name outdir args...
  local name=$1 out=$2; shift 2
  local t0 t1
  t0=$(now)
  "$etchsim" sweep "$@" --out-dir "$dir/$out" > "$dir/$out.txt" 2>/dev/null
  t1=$(now)
  local rows
  rows=$(($(wc -l < "$dir/$out/sweep.csv") - 1))
  python3 -c 'import sys; n,r,a,b=sys.argv[1],int(sys.argv[2]),float(sys.argv[3]),float(sys.argv[4]); print(f"| {n} | {r:,} | {b-a:.2f} | {r/(b-a):,.0f} |")' \
    "$name" "$rows" "$t0" "$t1"
}
echo "| sweep | rows | wall s | points/s |"
echo "|---|---:|---:|---:|"
run "analytic, R1 on hc2, 200 distinct builds, --jobs=2" a2 \
  --axis chips=30:69:1 --axis input_len=256,512,1024,2048,4096 --axis users=1:50:1 --jobs 2
run "same, --jobs=1" a1 \
  --axis chips=30:69:1 --axis input_len=256,512,1024,2048,4096 --axis users=1:50:1 --jobs 1
cmp -s "$dir/a1/sweep.csv" "$dir/a2/sweep.csv" && cmp -s "$dir/a1/sweep.jsonl" "$dir/a2/sweep.jsonl" \
  || { echo "--jobs=1 and --jobs=2 outputs differ"; exit 1; }
run "analytic, every point a distinct build, --jobs=2" d2 \
  --axis chips=30:129:1 --axis output_len=64:1054:10 --jobs 2
run "event, R1 on 30 hc2, 1 user, 1 x 1024/1024, --jobs=2" e2 \
  --axis seed=1:1000:1 --mode event --requests 1 --jobs 2
