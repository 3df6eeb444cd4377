#!/usr/bin/env python3
"""silicon_sensitivity.py ETCHSIM OUT_DIR [--design hc2] [--model deepseek-r1]
       [--chips 30] [--gpu h200] [--demand 100000]

How the hard-wired verdict moves with each silicon input, one at a time
(docs/silicon.md §5): every input goes to its low and its high value with
the others at the design's, and `etchsim cost breakeven --format json`
gives the expected $/M tokens of the hard-wired fleet (NRE, lead time and
commitment included) and the break-even model life against rented GPUs.

Writes OUT_DIR/sensitivity.csv (one row per input) and prints it as a
Markdown table; `scripts/plot.py tornado OUT_DIR/sensitivity.csv` draws it.
Standard library only; every run is deterministic.
"""
import argparse
import csv
import json
import os
import subprocess
import sys


def run(etchsim, argv):
    p = subprocess.run([etchsim] + argv, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"silicon_sensitivity: etchsim {' '.join(argv)}: {p.stderr.strip()}")
    return json.loads(p.stdout)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("etchsim")
    ap.add_argument("out_dir")
    ap.add_argument("--design", default="hc2")
    ap.add_argument("--model", default="deepseek-r1")
    ap.add_argument("--chips", default="30")
    ap.add_argument("--gpu", default="h200")
    ap.add_argument("--demand", default="100000")
    a = ap.parse_args()

    d = run(a.etchsim, ["chips", "design", a.design, "--format", "json"])
    base = {
        "wafer_price_usd": d["wafer_price_usd"],
        "defect_density": d["defect_density_per_cm2"],
        "rom_density": d["rom_bits_per_mm2"],
    }
    # (input, low, base, high): silicon fields go into the chip reference,
    # the GPU price into --gpu-usd-per-hour.
    be0 = run(a.etchsim, ["cost", "breakeven", "--chip", "@" + a.design, "--model", a.model,
                          "--chips", a.chips, "--gpu", a.gpu, "--demand", a.demand,
                          "--format", "json"])
    gpu_base = be0["gpu"]["fleet_usd_per_hour"] / be0["gpu"]["replicas"] / 8
    inputs = [
        ("wafer_price_usd", base["wafer_price_usd"] * 0.75, base["wafer_price_usd"],
         base["wafer_price_usd"] * 1.5),
        ("defect_density", base["defect_density"] * 0.5, base["defect_density"],
         base["defect_density"] * 2),
        ("rom_density", base["rom_density"] * 0.67, base["rom_density"], base["rom_density"] * 1.5),
        # The bundled designs' margin and energies (chips design does not print them).
        ("gross_margin", 0.4, 0.6, 0.75),
        ("weight_mac_fj", 1.875, 3.75, 7.5),
        ("rom_fj_per_bit", 0.25, 0.5, 1.0),
        ("gpu_usd_per_hour", 3.00, gpu_base, 5.75),
    ]
    rows = []
    for name, lo, mid, hi in inputs:
        out = {"input": name, "low": lo, "base": mid, "high": hi}
        for tag, v in (("low", lo), ("base", mid), ("high", hi)):
            chip = "@" + a.design
            extra = []
            if name == "gpu_usd_per_hour":
                extra = ["--gpu-usd-per-hour", f"{v:.6g}"]
            else:
                chip += f"+{name}={v:.6g}"
            r = run(a.etchsim, ["cost", "breakeven", "--chip", chip, "--model", a.model,
                                "--chips", a.chips, "--gpu", a.gpu, "--demand", a.demand,
                                "--format", "json"] + extra)
            out[f"usd_per_m_{tag}"] = r["hardwired_usd_per_million_tokens"]
            life = r["breakeven_life_months"]
            out[f"breakeven_life_{tag}"] = "" if life is None else life
        rows.append(out)
    os.makedirs(a.out_dir, exist_ok=True)
    cols = ["input", "low", "base", "high", "usd_per_m_low", "usd_per_m_base", "usd_per_m_high",
            "breakeven_life_low", "breakeven_life_base", "breakeven_life_high"]
    path = os.path.join(a.out_dir, "sensitivity.csv")
    tmp = path + ".tmp"
    with open(tmp, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=cols)
        w.writeheader()
        w.writerows(rows)
    os.replace(tmp, path)

    def g(v, fmt):
        return "none" if v == "" else format(v, fmt)
    print(f"{a.model} on {a.chips} x @{a.design} against {a.gpu} at {a.demand} tok/s "
          f"(expected $/M tokens of the hard-wired fleet; break-even life in months)\n")
    print("| input | low / base / high | $/M low | $/M base | $/M high | life low | life base | life high |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['input']} | {r['low']:.4g} / {r['base']:.4g} / {r['high']:.4g} | "
              f"{r['usd_per_m_low']:.4f} | {r['usd_per_m_base']:.4f} | {r['usd_per_m_high']:.4f} | "
              f"{g(r['breakeven_life_low'], '.2f')} | {g(r['breakeven_life_base'], '.2f')} | "
              f"{g(r['breakeven_life_high'], '.2f')} |")
    print(f"\n{path}")


if __name__ == "__main__":
    main()
