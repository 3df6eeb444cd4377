#!/usr/bin/env python3
"""Plots from etchsim sweep, plan and cost-breakeven output, as PNG and SVG.

  plot.py pareto   PLAN_CSV            -o PREFIX   tok/s/user and tok/s/chip vs $/M tokens
  plot.py latency  SWEEP_CSV --x COL   -o PREFIX   latency percentiles vs load
  plot.py chips    SWEEP_CSV           -o PREFIX   chips needed vs model, per chip (and axis.kv_dtype)
  plot.py breakeven BREAKEVEN_DIR      -o PREFIX   $/M tokens vs model life and vs demand
  plot.py tornado  SENSITIVITY_CSV     -o PREFIX   $/M tokens and break-even life per silicon input

Run in the venv made by scripts/setup-venv.sh (build/release/venv/bin/python).
Columns are read by name from the CSV header the tools write.
"""
import argparse
import csv
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

# Same bytes of SVG for the same data: no timestamps, fixed ids.
matplotlib.rcParams["svg.hashsalt"] = "etchsim"
matplotlib.rcParams["svg.fonttype"] = "none"


def read(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def num(row, col):
    v = row.get(col, "")
    return float(v) if v not in ("", None) else None


def save(fig, prefix):
    os.makedirs(os.path.dirname(os.path.abspath(prefix)), exist_ok=True)
    fig.tight_layout()
    fig.savefig(prefix + ".png", dpi=120, metadata={"Software": None})
    fig.savefig(prefix + ".svg", metadata={"Date": None, "Creator": None})
    plt.close(fig)
    print(prefix + ".png", prefix + ".svg")


def pareto(args):
    rows = [r for r in read(args.csv) if r["feasible"] == "true"]
    if not rows:
        sys.exit(f"{args.csv}: no feasible candidate to plot")
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))
    for ax, col, flag, label in (
        (axes[0], "tokens_per_s_per_user", "pareto_user", "output tok/s per user"),
        (axes[1], "tokens_per_s_per_chip", "pareto_chip", "output tok/s per chip"),
    ):
        for r in rows:
            x, y = num(r, "usd_per_million_tokens"), num(r, col)
            on = r[flag] == "1"
            ax.scatter([x], [y], s=60 if on else 30, marker="o" if on else "x")
            ax.annotate(r["candidate"], (x, y), textcoords="offset points", xytext=(5, 4),
                        fontsize=8)
        front = sorted((num(r, "usd_per_million_tokens"), num(r, col)) for r in rows if r[flag] == "1")
        if front:
            ax.plot([p[0] for p in front], [p[1] for p in front], "--", lw=1, label="Pareto front")
            ax.legend()
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("fleet cost, $ per million output tokens")
        ax.set_ylabel(label)
        ax.grid(True, which="both", alpha=0.3)
    fig.suptitle(args.title or "Candidates meeting the SLO at their highest load")
    save(fig, args.out)


def latency(args):
    rows = [r for r in read(args.csv) if r["feasible"] == "true" and r["mode"] == "event"]
    if not rows:
        sys.exit(f"{args.csv}: no feasible event-mode rows (run the sweep with --mode=event)")
    rows.sort(key=lambda r: float(r[args.x]))
    xs = [float(r[args.x]) for r in rows]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))
    for ax, metric, name in ((axes[0], "ttft_s", "time to first token"),
                             (axes[1], "tpot_s", "time per output token")):
        for stat in ("p50", "p90", "p99"):
            ax.plot(xs, [num(r, f"{metric}.{stat}") * 1e3 for r in rows], marker="o", label=stat)
        ax.set_xlabel(args.x.replace("axis.", "") + (f" ({args.x_unit})" if args.x_unit else ""))
        ax.set_ylabel(f"{name}, ms")
        ax.grid(True, alpha=0.3)
        ax.legend(title="percentile")
    fig.suptitle(args.title or "Latency percentiles against load")
    save(fig, args.out)


def chips(args):
    rows = [r for r in read(args.csv) if r["mode"] == "analytic"]
    if not rows or "axis.model" not in rows[0]:
        sys.exit(f"{args.csv}: needs a sweep with a model axis (--axis model=...)")
    group = "axis.kv_dtype" if "axis.kv_dtype" in rows[0] else None
    series = {}
    for r in rows:
        if r["feasible"] != "true":
            continue
        key = r.get("axis.chip", r.get("chip", "")) + (f", KV {r[group]}" if group else "")
        series.setdefault(key, []).append((r["axis.model"], int(r["num_chips"])))
    models = sorted({r["axis.model"] for r in rows})
    fig, ax = plt.subplots(figsize=(9, 4.5))
    width = 0.8 / max(1, len(series))
    for i, (key, pts) in enumerate(sorted(series.items())):
        d = dict(pts)
        ax.bar([m + i * width for m in range(len(models))],
               [d.get(m, 0) for m in models], width, label=key)
    ax.set_xticks([m + width * (len(series) - 1) / 2 for m in range(len(models))])
    ax.set_xticklabels(models, rotation=20, ha="right")
    ax.set_ylabel("chips needed (smallest count that fits)")
    ax.set_yscale("log")
    ax.legend(title="chip")
    ax.grid(True, axis="y", alpha=0.3)
    ax.set_title(args.title or "Chips needed per model")
    save(fig, args.out)


def breakeven(args):
    life = read(os.path.join(args.dir, "lifetime.csv"))
    demand = read(os.path.join(args.dir, "demand.csv"))
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))
    for ax, rows, x, xlabel, logx in (
        (axes[0], life, "life_months", "model life, months (known in advance)", False),
        (axes[1], demand, "demand_tokens_per_s", "demand, output tokens/s (expected life)", True),
    ):
        xs = [float(r[x]) for r in rows]
        ax.plot(xs, [float(r["hardwired_usd_per_million_tokens"]) for r in rows], label="hard-wired")
        ax.plot(xs, [float(r["gpu_usd_per_million_tokens"]) for r in rows], label="GPU fleet")
        ax.set_xlabel(xlabel)
        ax.set_ylabel("$ per million output tokens")
        ax.set_yscale("log")
        if logx:
            ax.set_xscale("log")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
    fig.suptitle(args.title or "Break-even: hard-wired silicon against GPUs")
    save(fig, args.out)


def tornado(args):
    """scripts/silicon_sensitivity.py's CSV: one bar per input from its low to
    its high value's result, about the base, widest first."""
    rows = read(args.csv)
    if not rows:
        sys.exit(f"{args.csv}: no input to plot")
    fig, axes = plt.subplots(1, 2, figsize=(12, 0.5 * len(rows) + 2))
    for ax, key, label in ((axes[0], "usd_per_m", "expected $ per million output tokens"),
                           (axes[1], "breakeven_life", "break-even model life, months")):
        have = [r for r in rows if r[f"{key}_base"] not in ("", None)]
        base = num(have[0], f"{key}_base") if have else 0
        have.sort(key=lambda r: abs((num(r, f"{key}_high") or base) - (num(r, f"{key}_low") or base)))
        for i, r in enumerate(have):
            lo, hi = num(r, f"{key}_low"), num(r, f"{key}_high")
            for v, color, tag in ((lo, "tab:blue", "low"), (hi, "tab:red", "high")):
                if v is None:
                    continue
                ax.barh(i, v - base, left=base, color=color, alpha=0.8,
                        label=f"input at its {tag} value" if i == 0 else None)
        ax.set_yticks(range(len(have)))
        ax.set_yticklabels([f"{r['input']} ({float(r['low']):.3g} .. {float(r['high']):.3g})"
                            for r in have], fontsize=8)
        ax.axvline(base, color="black", linewidth=1)
        ax.set_xlabel(label)
        ax.grid(True, axis="x", alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(args.title or "Sensitivity of the hard-wired verdict to silicon inputs")
    save(fig, args.out)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("pareto"); a.add_argument("csv"); a.set_defaults(f=pareto)
    a = sub.add_parser("latency"); a.add_argument("csv"); a.add_argument("--x", required=True)
    a.add_argument("--x-unit", default=""); a.set_defaults(f=latency)
    a = sub.add_parser("chips"); a.add_argument("csv"); a.set_defaults(f=chips)
    a = sub.add_parser("breakeven"); a.add_argument("dir"); a.set_defaults(f=breakeven)
    a = sub.add_parser("tornado"); a.add_argument("csv"); a.set_defaults(f=tornado)
    for s in sub.choices.values():
        s.add_argument("-o", "--out", required=True, help="output prefix: PREFIX.png and PREFIX.svg")
        s.add_argument("--title", default="")
    args = p.parse_args()
    args.f(args)


if __name__ == "__main__":
    main()
