#!/usr/bin/env bash
# verify_bench.sh [ETCHSIM] [RUNS]: the functional-mode speed goal
# (docs/BENCHMARKS.md): `etchsim verify` of the 4-layer tiny R1 on 8 chip
# processes (expert-spread, 8 prompt + 8 decoded tokens) in <= 10 s, wall
# time from the command's start to its exit (process start, shard loading,
# reference run, distributed run, comparison). Also the in-process sharded
# run for comparison. Prints one markdown row per configuration with the
# median and the largest of RUNS runs, and the load average.
set -eu
etchsim=${1:-build/release/etchsim}
runs=${2:-5}
now() { date +%s.%N; }
bench() {  # name args...
  local name=$1; shift
  local times=()
  for _ in $(seq "$runs"); do
    local t0 t1
    t0=$(now)
    "$etchsim" verify "$@" >/dev/null 2>&1 || { echo "verify failed: $*"; exit 1; }
    t1=$(now)
    times+=("$(python3 -c "print($t1 - $t0)")")
  done
  python3 - "$name" "${times[@]}" <<'PY'
import statistics, sys
name, t = sys.argv[1], sorted(float(x) for x in sys.argv[2:])
print(f"| {name} | {len(t)} | {statistics.median(t):.2f} | {t[-1]:.2f} |")
PY
}
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| verify | runs | median wall s | max wall s |"
echo "|---|---:|---:|---:|"
bench "tiny-r1, 8 chip processes (expert-spread), fp4" \
  --model tiny-r1 --chips 8 --strategy expert-spread --distributed=local
bench "tiny-r1, 8 chips in process (expert-spread), fp4" \
  --model tiny-r1 --chips 8 --strategy expert-spread
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
