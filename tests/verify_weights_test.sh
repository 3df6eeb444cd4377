#!/usr/bin/env bash
# verify_weights_test.sh ETCHSIM
# A tiny model written to safetensors by `verify generate` and read back by
# `verify --weights` gives the same tokens as the model generated in memory,
# and the sharded run over chip processes matches it bit for bit.
set -eu
etchsim=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$etchsim" verify generate --model tiny-qwen3-moe --seed 3 --out "$dir/q.safetensors" >/dev/null
from_file=$("$etchsim" verify --weights "$dir/q.safetensors" --chips 4 --seed 3 \
  --strategy expert-spread --distributed=local --format=json 2>/dev/null)
in_memory=$("$etchsim" verify --model tiny-qwen3-moe --chips 4 --seed 3 \
  --strategy expert-spread --format=json 2>/dev/null)
grep -q '"bit_identical": true' <<<"$from_file" || { echo "file run not bit-identical"; exit 1; }
tokens() { python3 -c 'import json,sys; print(json.load(sys.stdin)["reference_tokens"])'; }
a=$(tokens <<<"$from_file") b=$(tokens <<<"$in_memory")
[[ $a == "$b" ]] || { echo "tokens differ: file $a, memory $b"; exit 1; }
# The header is 8-byte aligned JSON holding the config; python parses it.
python3 - "$dir/q.safetensors" <<'PY'
import json, struct, sys
data = open(sys.argv[1], "rb").read()
n = struct.unpack("<Q", data[:8])[0]
h = json.loads(data[8:8 + n])
assert json.loads(h["__metadata__"]["config"])["architectures"] == ["Qwen3MoeForCausalLM"]
end = max(v["data_offsets"][1] for k, v in h.items() if k != "__metadata__")
assert 8 + n + end == len(data), "data section not covered exactly"
PY
echo "ok: $a"
