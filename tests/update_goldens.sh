#!/usr/bin/env bash
# Regenerates the golden reports after an intended change of numbers.
# Review `git diff tests/golden` line by line before committing: every
# changed number needs a reason in the commit message (and in docs/ if a
# preset or calibration changed).
set -euo pipefail
cd "$(dirname "$0")/.."
etchsim=${ETCHSIM:-./build/release/etchsim}
"$etchsim" simulate --format=json > tests/golden/default.json
for s in tests/scenarios/*.textproto; do
  name=$(basename "$s" .textproto)
  "$etchsim" simulate --scenario "$s" --format=json > "tests/golden/$name.json"
done
echo "updated: $(ls tests/golden | tr '\n' ' ')"
