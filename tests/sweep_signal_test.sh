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
  # Wait until rows follow the journal's header (which alone holds
  # the 1,500 axis values, over 2 kB), then signal. A sanitizer build on a loaded
  # machine takes seconds per row: wait up to 120 s, and say so rather
  # than signal a sweep that has kept nothing.
  journaled=0
  header=0
  for _ in $(seq 1 2400); do
    size=0
    [ -s "$out/sweep.journal" ] && size=$(stat -c %s "$out/sweep.journal")
    [ "$header" -gt 0 ] || header=$size
    if [ "$header" -gt 0 ] && [ "$size" -gt $((header + 500)) ]; then
      journaled=1
      break
    fi
    sleep 0.05
  done
  [ "$journaled" = 1 ] || { echo "SIG$sig: no rows journaled within 120 s"; kill "$pid"; exit 1; }
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
