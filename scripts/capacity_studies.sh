#!/usr/bin/env bash
# capacity_studies.sh [ETCHSIM] [OUT]: reruns the two worked studies of
# docs/capacity-planning.md (every input is on the command lines below) and
# redraws their figures into docs/images/capacity-planning/. Outputs (CSV,
# the commands' text) go to OUT (default build/release/studies).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$here/..
etchsim=${1:-$root/build/release/etchsim}
out=${2:-$root/build/release/studies}
fig=$root/docs/images/capacity-planning
"$here/setup-venv.sh" >/dev/null
py=$root/build/release/venv/bin/python
mkdir -p "$out" "$fig"
say() { echo "+ $*" | tee -a "$out/commands.txt"; }
run() { say "$@"; "$@"; }

# Study 1: DeepSeek R1, hard-wired vs 8-GPU servers, interactive SLO.
R1_SLO="ttft_p99<=2s,tpot_p99<=20ms"
run "$etchsim" plan --model deepseek-r1 --slo "$R1_SLO" --demand 200000 \
  --candidates hc2,hc2:60,hc1,b200:8,h200:8,b200:16 --input-len 1024 --output-len 1024 \
  --requests 200 --out-dir "$out/r1-plan" | tee "$out/r1-plan.txt"
run "$etchsim" sweep --model deepseek-r1 --chip hc2 --chips 28 --axis rate=20:160:20 \
  --mode event --requests 200 --out-dir "$out/r1-load" > "$out/r1-load.txt"
hw=$(awk -F, '$1=="\"28 x hc2\""{print $5}' "$out/r1-plan/plan.csv")
gpu=$(awk -F, '$1=="\"8 x h200\""{print $5}' "$out/r1-plan/plan.csv")
run "$etchsim" cost breakeven --model deepseek-r1 --chip hc2 --chips 28 --gpu h200 --gpu-chips 8 \
  --gpu-price neocloud --demand 200000 --hazard 0.05 \
  --hw-replica-tokens-per-s "${hw:-0}" --gpu-replica-tokens-per-s "${gpu:-0}" \
  --out-dir "$out/r1-breakeven" | tee "$out/r1-breakeven.txt"
"$py" "$here/plot.py" pareto "$out/r1-plan/plan.csv" -o "$fig/r1-pareto" \
  --title "DeepSeek R1 at ttft_p99<=2s, tpot_p99<=20ms: candidates at their highest load"
"$py" "$here/plot.py" latency "$out/r1-load/sweep.csv" --x axis.rate --x-unit "requests/s" \
  -o "$fig/r1-latency" --title "DeepSeek R1 on 28 x hc2: latency against Poisson load (1k/1k)"
"$py" "$here/plot.py" breakeven "$out/r1-breakeven" -o "$fig/r1-breakeven" \
  --title "DeepSeek R1: 28 x hc2 replicas against 8 x H200 (neocloud), 200k tok/s"

# Study 2: Llama 3.1 8B on HC1 vs GPUs at the MLPerf interactive limits.
run "$etchsim" plan --model llama-3.1-8b --slo mlperf-interactive --demand 100000 \
  --candidates hc1,h100:1,h100:8,h200:1,b200:1 --input-len 1024 --output-len 256 \
  --requests 200 --out-dir "$out/l8-plan" | tee "$out/l8-plan.txt"
run "$etchsim" sweep --axis model=llama-3.1-8b,llama-3.1-70b,qwen3-235b-a22b,deepseek-r1 \
  --axis chip=hc1,hc2 --axis kv_dtype=bf16,fp8 --chips 0 --out-dir "$out/chips" > "$out/chips.txt"
hw=$(awk -F, '$1=="\"1 x hc1\""{print $5}' "$out/l8-plan/plan.csv")
gpu=$(awk -F, '$1=="\"1 x h100\""{print $5}' "$out/l8-plan/plan.csv")
run "$etchsim" cost breakeven --model llama-3.1-8b --chip hc1 --chips 1 --gpu h100 --gpu-chips 1 \
  --gpu-price neocloud --demand 100000 --hazard 0.05 \
  --hw-replica-tokens-per-s "${hw:-0}" --gpu-replica-tokens-per-s "${gpu:-0}" \
  --input-len 1024 --output-len 256 --out-dir "$out/l8-breakeven" | tee "$out/l8-breakeven.txt"
"$py" "$here/plot.py" pareto "$out/l8-plan/plan.csv" -o "$fig/l8-pareto" \
  --title "Llama 3.1 8B at MLPerf interactive (ttft_p99<=0.5s, tpot_p99<=30ms)"
"$py" "$here/plot.py" chips "$out/chips/sweep.csv" -o "$fig/chips" \
  --title "Hard-wired chips needed per model (smallest count that fits)"
"$py" "$here/plot.py" breakeven "$out/l8-breakeven" -o "$fig/l8-breakeven" \
  --title "Llama 3.1 8B: HC1 replicas against 1 x H100 (neocloud), 100k tok/s"
