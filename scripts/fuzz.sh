#!/usr/bin/env bash
# fuzz.sh SECONDS [TARGET...]: builds the libFuzzer targets (the "fuzz"
# preset: clang, ASan+UBSan) and runs each for SECONDS, seeded from the
# bundled files: model configs for model_config_fuzz; chip and link
# presets and scenarios for textproto_fuzz; chip presets for
# chip_spec_fuzz; link presets for link_spec_fuzz; the test traces for
# trace_fuzz; event batches for chip_service_fuzz; sweep journals (from
# fuzz/regressions) for sweep_journal_fuzz. Corpora persist in
# build/fuzz/corpus/<target>; a crash leaves its input in
# build/fuzz/artifacts/ and fails the script. Prints each run's exec count.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:?usage: fuzz.sh SECONDS [TARGET...]}
shift
targets=("$@")
((${#targets[@]})) || targets=(model_config_fuzz textproto_fuzz trace_fuzz chip_service_fuzz
  sweep_journal_fuzz chip_spec_fuzz link_spec_fuzz)

cmake --preset fuzz >/dev/null
cmake --build --preset fuzz --target "${targets[@]}"

out=build/fuzz
mkdir -p "$out/artifacts"
seed() {  # seed TARGET FILE...
  local dir=$out/corpus/$1
  shift
  mkdir -p "$dir"
  cp -n "$@" "$dir"/ 2>/dev/null || true
}
seed model_config_fuzz model/configs/*.json
seed textproto_fuzz chip/presets/*.textproto fabric/presets/*.textproto tests/scenarios/*.textproto
seed chip_spec_fuzz chip/presets/*.textproto
seed link_spec_fuzz fabric/presets/*.textproto
mkdir -p "$out/corpus/trace_fuzz"
# trace_fuzz: first byte 0 = CSV, 1 = JSONL.
for f in tests/scenarios/*.csv; do
  { printf '\0'; cat "$f"; } >"$out/corpus/trace_fuzz/$(basename "$f").seed"
done
printf '\1{"arrival_s": 0.5, "input_len": 128, "output_len": 16}\n' \
  >"$out/corpus/trace_fuzz/one.jsonl.seed"
# chip_service_fuzz: v1::Batch messages from rank 1 aimed at rank 2's LPs,
# written by the target itself so they follow the real LP layout.
mkdir -p "$out/corpus/chip_service_fuzz"
if [[ " ${targets[*]} " == *" chip_service_fuzz "* ]]; then
  ETCHSIM_FUZZ_WRITE_SEEDS="$out/corpus/chip_service_fuzz" \
    "$out/fuzz/chip_service_fuzz" -runs=0 "$out/corpus/chip_service_fuzz" >/dev/null 2>&1
fi

# Inputs that once failed stay in every corpus (fuzz/regressions/<target>).
for d in fuzz/regressions/*/; do
  t=$(basename "$d")
  mkdir -p "$out/corpus/$t"
  cp -n "$d"* "$out/corpus/$t"/ 2>/dev/null || true
done

status=0
for t in "${targets[@]}"; do
  log=$out/$t.log
  if ! "$out/fuzz/$t" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 \
      -max_len=65536 -print_final_stats=1 -artifact_prefix="$out/artifacts/$t-" \
      "$out/corpus/$t" >"$log" 2>&1; then
    echo "fuzz: $t FAILED (see $log and $out/artifacts/)"
    tail -40 "$log"
    status=1
  fi
  execs=$(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 || true)
  echo "fuzz: $t ${seconds}s: $execs executions, $cov"
done
exit $status
