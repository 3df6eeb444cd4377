#!/usr/bin/env bash
# distributed_test.sh ETCHSIM NAME [simulate args...]: the report of a run
# over chip processes on 127.0.0.1 (one per stage, or per K stages with
# --chips-per-process K; started for the run)
# must equal the in-process report byte for byte, and every chip process
# must be gone afterwards.
set -u
etchsim=$1 name=$2
shift 2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
# --chips-per-process K applies to the distributed run only.
inproc=() dist=()
while (($#)); do
  if [ "$1" = --chips-per-process ]; then dist+=("$1" "$2"); shift 2; continue; fi
  inproc+=("$1"); dist+=("$1"); shift
done
"$etchsim" simulate "${inproc[@]}" --format=json > "$dir/inproc.json" || { echo "$name: in-process run failed"; exit 1; }
"$etchsim" simulate "${dist[@]}" --format=json --distributed=local --progress \
  > "$dir/dist.json" 2> "$dir/dist.err"
rc=$?
if [ $rc -ne 0 ]; then
  echo "$name: distributed run failed (exit $rc):"; tail -20 "$dir/dist.err"; exit 1
fi
chips=$(grep -c '^started chip' "$dir/dist.err")
if ! cmp -s "$dir/inproc.json" "$dir/dist.json"; then
  echo "$name: report over $chips chip processes differs from the in-process one:"
  diff "$dir/inproc.json" "$dir/dist.json" | head -40
  exit 1
fi
# No chip process may outlive the run.
for pid in $(sed -n 's/^started chip \(process \)\{0,1\}[0-9]* (pid \([0-9]*\)).*/\2/p' "$dir/dist.err"); do
  if kill -0 "$pid" 2>/dev/null; then echo "$name: chip process $pid still running"; exit 1; fi
done
echo "$name: identical over $chips chip processes"
