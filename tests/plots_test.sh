#!/usr/bin/env bash
# plots_test.sh ETCHSIM SCRIPTS_DIR VENV: runs a small sweep, plan and
# break-even, then every plot of scripts/plot.py, and checks each PNG and
# SVG was written. Creates the venv from scripts/requirements.txt; exits
# 77 (skipped) when PyPI cannot be reached.
set -u
etchsim=$1 scripts=$2 venv=$3
if ! "$scripts/setup-venv.sh" "$venv" >/dev/null 2>&1; then
  echo "skipped: cannot create $venv from $scripts/requirements.txt (offline?)"
  exit 77
fi
set -e
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
py="$venv/bin/python"
"$etchsim" sweep --axis model=llama-3.1-8b,llama-3.1-70b --axis chip=hc1,hc2 --chips 0 \
  --out-dir "$dir/chips" >/dev/null 2>&1
"$etchsim" sweep --model llama-3.1-8b --chip hc1 --chips 1 --input-len 128 --output-len 32 \
  --axis rate=20:80:30 --mode event --requests 20 --out-dir "$dir/lat" >/dev/null 2>&1
"$etchsim" cost breakeven --out-dir "$dir/be" >/dev/null
"$etchsim" plan --model llama-3.1-8b --slo mlperf-interactive --candidates hc1,h100 \
  --input-len 128 --output-len 32 --requests 20 --out-dir "$dir/plan" >/dev/null
"$py" "$scripts/silicon_sensitivity.py" "$etchsim" "$dir/sens" >/dev/null
"$py" "$scripts/plot.py" chips "$dir/chips/sweep.csv" -o "$dir/fig/chips" >/dev/null
"$py" "$scripts/plot.py" latency "$dir/lat/sweep.csv" --x axis.rate -o "$dir/fig/latency" >/dev/null
"$py" "$scripts/plot.py" breakeven "$dir/be" -o "$dir/fig/be" >/dev/null
"$py" "$scripts/plot.py" pareto "$dir/plan/plan.csv" -o "$dir/fig/pareto" >/dev/null
"$py" "$scripts/plot.py" tornado "$dir/sens/sensitivity.csv" -o "$dir/fig/tornado" >/dev/null
for f in chips latency be pareto tornado; do
  head -c 8 "$dir/fig/$f.png" | od -An -tx1 | grep -q "89 50 4e 47" || { echo "$f.png is not a PNG"; exit 1; }
  grep -q "<svg" "$dir/fig/$f.svg" || { echo "$f.svg is not an SVG"; exit 1; }
done
echo "5 plots written as PNG and SVG"
