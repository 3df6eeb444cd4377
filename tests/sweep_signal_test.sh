#!/usr/bin/env bash
# sweep_signal_test.sh ETCHSIM: SIGTERM in the middle of a sweep keeps the
# finished rows and writes no CSV; rerunning resumes and gives the same
# bytes as an uninterrupted sweep. Then the same after SIGKILL (a crash).
set -eu
etchsim=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
args=(sweep --model llama-3.1-8b --chip hc1 --chips 1 --input-len 64 --output-len 512
      --axis seed=1:1500:1 --mode event --requests 4 --jobs 2)
"$etchsim" "${args[@]}" --out-dir "$dir/ref" > /dev/null 2>&1
for sig in TERM KILL; do
  out=$dir/$sig
  "$etchsim" "${args[@]}" --out-dir "$out" > "$out.log" 2>&1 &
  pid=$!
  # Wait until some rows are journaled, then signal.
  for _ in $(seq 1 200); do
    [ -s "$out/sweep.journal" ] && [ "$(stat -c %s "$out/sweep.journal")" -gt 2000 ] && break
    sleep 0.05
  done
  kill -s "$sig" "$pid"
  code=0; wait "$pid" || code=$?
  [ "$code" -ne 0 ] || { echo "SIG$sig: sweep finished before the signal (make it longer)"; exit 1; }
  [ ! -e "$out/sweep.csv" ] || { echo "SIG$sig: a CSV was written by an interrupted sweep"; exit 1; }
  if [ "$sig" = TERM ]; then
    grep -q "interrupted: .* row(s) kept in" "$out.log" || { echo "no interruption message"; cat "$out.log"; exit 1; }
  fi
  "$etchsim" "${args[@]}" --out-dir "$out" > "$out.resume" 2>/dev/null
  grep -Eq "[1-9][0-9]* resumed from the journal" "$out.resume" || { echo "SIG$sig: nothing resumed"; cat "$out.resume"; exit 1; }
  cmp "$dir/ref/sweep.csv" "$out/sweep.csv"
  cmp "$dir/ref/sweep.jsonl" "$out/sweep.jsonl"
  echo "SIG$sig: $(grep -o '[0-9]* resumed' "$out.resume"), bytes identical"
done
