#!/usr/bin/env bash
# golden_test.sh ETCHSIM GOLDEN [simulate args...]: the JSON report must
# equal the golden file byte for byte (reproducible from the seed).
set -u
etchsim=$1 golden=$2
shift 2
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$etchsim" simulate "$@" --format=json > "$out" || { echo "etchsim failed"; exit 1; }
if ! cmp -s "$out" "$golden"; then
  echo "report differs from $golden (run tests/update_goldens.sh after an intended change):"
  diff "$golden" "$out" | head -40
  exit 1
fi
