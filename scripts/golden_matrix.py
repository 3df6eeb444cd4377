#!/usr/bin/env python3
"""golden_matrix.py: writes the golden-matrix scenarios and their reports.

Usage: scripts/golden_matrix.py [--etchsim build/release/etchsim] [--check]

Every bundled model family crosses chip kinds (hard-wired hc1/hc2, the
GPU roofline presets, a wafer), strategies (auto, pipeline,
expert-spread), topologies (two-level, switch, ring, chain), workloads
(closed loop at 1 and 4 users, Poisson with lognormal lengths, a trace)
and serving options (speculative decoding, FP8 KV, skewed expert
routing, redundant experts, paged KV with preemption, prefix caching,
prefill/decode and attention/FFN disaggregation across chip kinds). Each row is a small
scenario (a few short requests) so the
whole matrix runs in seconds; tests/golden/matrix/NAME.textproto holds the
scenario, NAME.json the report it must give byte for byte (ctest
golden.matrix.NAME). After an intended change of numbers, rerun this
script and review `git diff tests/golden/matrix` line by line: every
changed number needs a reason in the commit message. --check only
verifies that the scenario files are the ones this script writes.
"""
import argparse
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "tests", "golden", "matrix")

# (model, family note, MoE?)
MODELS = [
    ("llama-3.1-8b", "Llama dense GQA", False),
    ("llama-3.1-70b", "Llama dense GQA, multi-chip", False),
    ("qwen2.5-7b", "Qwen2 dense with biases", False),
    ("qwen3-32b", "Qwen3 dense with q/k norms", False),
    ("gemma-3-27b", "Gemma 3 sliding-window layers", False),
    ("mixtral-8x7b", "Mixtral MoE", True),
    ("deepseek-r1", "DeepSeek-V3 MLA MoE", True),
    ("qwen3-235b-a22b", "Qwen3 MoE", True),
    ("gpt-oss-120b", "gpt-oss MoE, sinks, alternating windows", True),
    ("llama-4-maverick", "Llama 4 interleaved MoE", True),
    ("qwen3.5-27b", "Qwen3.5 gated DeltaNet + attention, dense", False),
    ("qwen3.5-35b-a3b", "Qwen3.5 gated DeltaNet + attention, MoE", True),
]

GPUS = ["h100", "h200", "b200"]
TOPOLOGIES = ["two-level", "switch", "ring", "chain"]


def closed(users, inp=256, out=32):
    return (f"workload {{ closed_loop {{ users: {users} }} "
            f"input_len {{ fixed: {inp} }} output_len {{ fixed: {out} }} }}")


def poisson(rate):
    return ("workload { poisson { rate_per_s: %g } "
            "input_len { lognormal { median: 192 sigma: 0.5 max: 1024 } } "
            "output_len { uniform { min: 8 max: 48 } } }" % rate)


TRACE = ('workload { trace { path: "tests/scenarios/short_trace.csv" } }')


def rows():
    """(name, scenario text) for every matrix row, in a fixed order."""
    out = []
    for i, (model, note, moe) in enumerate(MODELS):
        gpu = GPUS[i % len(GPUS)]
        topo = TOPOLOGIES[i % len(TOPOLOGIES)]
        topo2 = TOPOLOGIES[(i + 1) % len(TOPOLOGIES)]
        spread = "expert-spread" if moe else "pipeline"
        base = f'model: "{model}"\nseed: {11 + i}\n'
        cases = [
            # One user on hard-wired chips: the latency a vendor quotes.
            (f"hc2_auto_{topo}_1user",
             f'chip: "hc2"\nstrategy: "auto"\ntopology {{ kind: "{topo}" }}\n{closed(1)}\n'
             "max_requests: 2\n"),
            # Several users, the plan's strategy named, another topology.
            (f"hc2_{spread}_{topo2}_4users",
             f'chip: "hc2"\nstrategy: "{spread}"\ntopology {{ kind: "{topo2}" }}\n{closed(4)}\n'
             "max_requests: 6\n"),
            # Open loop on a GPU baseline, lognormal prompts.
            (f"{gpu}_poisson",
             f'chip: "{gpu}"\n{poisson(20)}\nmax_requests: 6\n'),
            # Speculative decoding (MTP-style drafts) on hard-wired chips.
            (f"hc2_speculative_{topo}",
             f'chip: "hc2"\ntopology {{ kind: "{topo}" }}\n{closed(2)}\n'
             "speculative { draft_len: 2 acceptance_rate: 0.7 }\nmax_requests: 4\n"),
            # FP8 KV cache on another GPU with tensor parallelism chosen
            # by the planner, and a trace replay.
            (f"{GPUS[(i + 1) % len(GPUS)]}_fp8kv_trace",
             f'chip: "{GPUS[(i + 1) % len(GPUS)]}"\nkv_dtype: "fp8"\n{TRACE}\n'),
        ]
        if moe:
            # Skewed routing on an expert-spread plan, balanced placement.
            cases.append((f"hc2_expert-spread_zipf_balanced",
                          f'chip: "hc2"\nstrategy: "expert-spread"\n{closed(4)}\n'
                          "routing { kind: \"zipf\" zipf_s: 1.2 balance: true }\n"
                          "max_requests: 6\n"))
        else:
            # A chain of chips with a warm-up window and goodput SLO.
            cases.append((f"hc2_pipeline_chain_slo",
                          f'chip: "hc2"\nstrategy: "pipeline"\ntopology {{ kind: "chain" }}\n'
                          f"{closed(4)}\nmax_requests: 8\nwarmup_s: 0.0001\n"
                          "slo { ttft_s: 0.01 tpot_s: 0.0002 }\n"))
        for tag, body in cases:
            name = f"{model}_{tag}"
            out.append((name, f"# golden matrix: {model} ({note})\n" + base + body))
    # Kinds that fit only some models.
    out.append(("llama-3.1-8b_hc1_1chip",
                '# golden matrix: llama-3.1-8b on its own hard-wired chip\n'
                'model: "llama-3.1-8b"\nchip: "hc1"\nchips: 1\nseed: 3\n'
                + closed(1) + "\nmax_requests: 2\n"))
    out.append(("deepseek-r1_hc1_expert-spread",
                '# golden matrix: deepseek-r1 on 3-bit HC1-class chips\n'
                'model: "deepseek-r1"\nchip: "hc1"\nstrategy: "expert-spread"\nseed: 4\n'
                + closed(2) + "\nmax_requests: 3\n"))
    out.append(("llama-3.1-70b_wse3",
                '# golden matrix: llama-3.1-70b on wafer-scale SRAM\n'
                'model: "llama-3.1-70b"\nchip: "wse3"\nseed: 5\n' + closed(2) + "\nmax_requests: 3\n"))
    # MLPerf-style offline: every request at t = 0, run to completion.
    out.append(("llama-3.1-8b_hc2_offline",
                '# golden matrix: llama-3.1-8b offline (all requests at t = 0)\n'
                'model: "llama-3.1-8b"\nchip: "hc2"\nseed: 7\n'
                'workload { offline { requests: 12 } input_len { uniform { min: 64 max: 512 } } '
                'output_len { fixed: 24 } }\n'))
    out.append(("deepseek-r1_b200_offline",
                '# golden matrix: deepseek-r1 offline on GPUs\n'
                'model: "deepseek-r1"\nchip: "b200"\nseed: 8\n'
                'workload { offline { requests: 16 } input_len { fixed: 256 } '
                'output_len { fixed: 16 } }\n'))
    out.append(("qwen2.5-0.5b_h100_tp1",
                '# golden matrix: a small dense model on one GPU\n'
                'model: "qwen2.5-0.5b"\nchip: "h100"\ntensor_parallel: 1\nseed: 6\n'
                + closed(8) + "\nmax_requests: 10\n"))
    # KV management: paging with preemption, swap with a cached prefix.
    out.append(("llama-3.1-8b_hc1_paged_recompute",
                '# golden matrix: paged KV, preemption by recompute\n'
                'model: "llama-3.1-8b"\nchip: "hc1"\nchips: 1\nseed: 9\n'
                + closed(8, 512, 256) + '\nmax_requests: 10\nkv_policy { kind: "paged" }\n'))
    out.append(("llama-3.1-8b_hc1_paged_swap_prefix",
                '# golden matrix: paged KV with swap and a cached prefix\n'
                'model: "llama-3.1-8b"\nchip: "hc1"\nchips: 1\nseed: 10\n'
                + closed(8, 1024, 256) + '\nmax_requests: 10\n'
                'kv_policy { kind: "paged" preemption: "swap" prefix_tokens: 768 '
                'prefix_hit_rate: 0.75 }\n'))
    # Redundant copies of the hottest experts where the ROM has room.
    out.append(("deepseek-r1_hc2_expert-spread_redundant",
                '# golden matrix: redundant copies of hot experts\n'
                'model: "deepseek-r1"\nchip: "hc2"\nchips: 32\nstrategy: "expert-spread"\n'
                'seed: 12\n' + closed(4) + '\nmax_requests: 6\n'
                'routing { kind: "zipf" zipf_s: 1.2 redundant_experts: 4 }\n'))
    # Prefill/decode disaggregation: GPUs prefill for hard-wired decode,
    # and a hard-wired prefill pool for a GPU decode pool.
    out.append(("deepseek-r1_h100-prefill_hc2-decode",
                '# golden matrix: disaggregated, 16 H100s prefill, 30 HC2s decode\n'
                'model: "deepseek-r1"\nchip: "hc2"\nchips: 30\nseed: 13\n'
                + closed(4, 512, 32) + '\nmax_requests: 6\n'
                'disaggregation { prefill_chip: "h100" prefill_chips: 16 }\n'))
    out.append(("llama-3.1-8b_hc1-prefill_h100-decode",
                '# golden matrix: disaggregated, one HC1 prefills for an H100\n'
                'model: "llama-3.1-8b"\nchip: "h100"\nchips: 1\nseed: 14\n'
                + closed(8, 1024, 64) + '\nmax_requests: 12\n'
                'disaggregation { prefill_chip: "hc1" prefill_chips: 1 }\n'))
    # Attention/FFN disaggregation: attention and KV on H100s, each
    # layer's FFN on the hard-wired chip holding it.
    out.append(("deepseek-r1_h100-attention_hc2-ffn",
                '# golden matrix: attention on 8 H100s, FFNs on 30 HC2s\n'
                'model: "deepseek-r1"\nchip: "hc2"\nchips: 30\nseed: 15\n'
                + closed(4, 256, 16) + '\nmax_requests: 5\n'
                'attention_ffn { attention_chip: "h100" attention_chips: 8 }\n'))
    out.append(("mixtral-8x7b_h100-attention_hc1-ffn",
                '# golden matrix: attention on 2 H100s, FFNs on HC1s (fewest)\n'
                'model: "mixtral-8x7b"\nchip: "hc1"\nseed: 16\n'
                + closed(8, 512, 32) + '\nmax_requests: 10\n'
                'attention_ffn { attention_chip: "h100" attention_chips: 2 }\n'))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--etchsim", default=os.path.join(HERE, "..", "build", "release", "etchsim"))
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)
    table = rows()
    want = {f"{n}.textproto" for n, _ in table} | {f"{n}.json" for n, _ in table}
    if a.check:
        bad = [n for n, text in table
               if not os.path.exists(os.path.join(OUT, f"{n}.textproto"))
               or open(os.path.join(OUT, f"{n}.textproto")).read() != text]
        extra = sorted(set(os.listdir(OUT)) - want)
        if bad or extra:
            print(f"golden_matrix: stale or missing {bad}, unexpected {extra}; "
                  "run scripts/golden_matrix.py")
            return 1
        print(f"golden_matrix: {len(table)} scenarios current")
        return 0
    for f in sorted(set(os.listdir(OUT)) - want):
        os.remove(os.path.join(OUT, f))
    root = os.path.join(HERE, "..")
    for name, text in table:
        path = os.path.join(OUT, f"{name}.textproto")
        with open(path, "w") as f:
            f.write(text)
        r = subprocess.run([a.etchsim, "simulate", "--scenario", path, "--format=json"],
                           cwd=root, capture_output=True, text=True)
        if r.returncode != 0:
            print(f"golden_matrix: {name}: {r.stderr.strip()}", file=sys.stderr)
            return 1
        with open(os.path.join(OUT, f"{name}.json"), "w") as f:
            f.write(r.stdout)
    print(f"golden_matrix: wrote {len(table)} scenarios and reports to tests/golden/matrix")
    return 0


if __name__ == "__main__":
    sys.exit(main())
