#!/usr/bin/env python3
"""plan_json_test.py ETCHSIM: `etchsim plan --format=json` gives the
interface issue 34 names: an object with `candidates` (a bare GPU name
searched at every TP shape that fits), each passing one
with `chip`, `chips` (per replica), `tokens_per_s_per_replica`,
`usd_per_million_tokens` and `bound_by` (what limited it); a failing one
its `bound_by` reason. Exit 3 with the JSON still printed when none passes."""
import json
import subprocess
import sys

etchsim = sys.argv[1]
base = ["plan", "--model", "llama-3.1-8b", "--demand", "10000", "--requests", "50",
        "--format", "json"]
p = subprocess.run([etchsim] + base + ["--candidates", "hc1,@hc1+kv_sram_mb=1024",
                                       "--slo", "ttft_p99<=500ms,tpot_p99<=30ms"],
                   capture_output=True, text=True)
assert p.returncode == 0, p.stderr
j = json.loads(p.stdout)
ok = [c for c in j["candidates"] if c["feasible"]]
bad = [c for c in j["candidates"] if not c["feasible"]]
assert len(ok) == 1 and len(bad) == 1, j
c = ok[0]
assert c["chip"] == "hc1" and c["chips"] == 1, c
assert c["tokens_per_s_per_replica"] > 1000 and c["usd_per_million_tokens"] > 0, c
assert c["bound_by"].startswith("at ") and "req/s" in c["bound_by"], c
assert j["cheapest"] == c["candidate"], j
assert "exceeds the reticle limit" in bad[0]["bound_by"], bad[0]
# A GPU named without a count is every TP shape of its NVLink domain that
# holds the model: Llama 3.1 8B fits one H100, so TP 1, 2, 4 and 8.
p = subprocess.run([etchsim] + base + ["--candidates", "h100",
                                       "--slo", "ttft_p99<=500ms,tpot_p99<=30ms"],
                   capture_output=True, text=True)
assert p.returncode == 0, p.stderr
shapes = sorted(c["chips"] for c in json.loads(p.stdout)["candidates"])
assert shapes == [1, 2, 4, 8], shapes
# No candidate meets an impossible SLO: exit 3, the JSON still printed.
p = subprocess.run([etchsim] + base + ["--candidates", "hc1", "--slo", "tpot_p99<=1us"],
                   capture_output=True, text=True)
assert p.returncode == 3, (p.returncode, p.stderr)
j = json.loads(p.stdout)
assert j["cheapest"] is None and not j["candidates"][0]["feasible"], j
print("plan --format=json: interface as specified")
