#!/usr/bin/env python3
"""probe.py: the hostile probe as a tool of the project.

Runs the built etchsim binary on generated bad input, each run under a
wall-time cap and an address-space cap, and fails on what the house rule
forbids for bad input:

  * a signal (a crash, an abort, an out-of-memory kill),
  * a hang (the time cap),
  * an exit code outside {0, 2} (3 is allowed for `plan` only: no
    candidate meets the SLO),
  * an error that is not one line on stderr (exit 2),
  * an absurd number printed with exit 0 (nan, inf, a negative dollar),
  * a half-written file (a temporary left beside an output) or an output
    target that is not a regular file replaced by one.

Inputs, seeded from the bundled files and drawn from one seed (the same
--seed gives the same probes):

  flags     every numeric flag of every command at the edges
            (0, -1, nan, inf, 1e308, 2^31, 2^63, 1e-300, "", "x")
  files     bundled model configs, chip and link presets, scenarios and
            traces with bit flips, deletions, insertions, truncations,
            duplicated lines and numbers replaced by edge values
  journals  a sweep's journal with the same mutations, then resumed
  outputs   --out-dir at a symlink, a FIFO and a file where a folder goes

usage: probe.py ETCHSIM SOURCE_DIR [--runs N] [--seed S] [--timeout SEC]
                [--mem-mb MB] [--kinds flags,files,journals,outputs]
Prints one line per finding and a total per kind; exit 1 on any finding.
"""
import argparse
import os
import random
import re
import resource
import shutil
import stat
import subprocess
import sys
import tempfile
import time

EDGES = ["0", "-1", "nan", "inf", "-inf", "1e308", "-1e308", "2147483648",
         "9223372036854775808", "1e-300", "", "x", "0x10", "1e9"]

# A small, quick base for each command, so that a probe of one flag runs in
# well under a second when the flag is harmless.
BASES = {
    "simulate": ["--model", "llama-3.1-8b", "--chip", "hc1", "--chips", "1",
                 "--requests", "2", "--input-len", "64", "--output-len", "16"],
    "calibrate": ["--target-tokens-per-s", "16960"],
    "partition": ["--model", "llama-3.1-8b", "--chip", "hc1", "--chips", "1"],
    "cost breakeven": ["--model", "llama-3.1-8b", "--chip", "hc1", "--chips", "1"],
    "cost availability": ["--model", "llama-3.1-8b", "--chip", "hc1", "--chips", "1"],
    "plan": ["--model", "llama-3.1-8b", "--candidates", "hc1", "--requests", "20",
             "--input-len", "64", "--output-len", "16"],
    "sweep": ["--model", "llama-3.1-8b", "--chip", "hc1", "--chips", "1",
              "--requests", "2", "--input-len", "64", "--output-len", "16",
              "--axis", "users=1,2", "--mode", "analytic"],
}
SWEEP_POINTS = 2  # the base sweep's axis
SEED_CSV = None  # the journal probes' unmutated sweep.csv
# Flags that start servers or read stdin-like things: not probed here (the
# RPC edge has its own tests and fuzzer).
SKIP_FLAGS = {"listen", "coordinator", "distributed", "chips_per_process", "stall_timeout",
              "progress", "jobs", "help", "tls_cert", "tls_key", "tls_ca", "scenario",
              "sweep", "trace", "routing", "out_dir", "shard", "seed"}

ABSURD = re.compile(r"(?<![A-Za-z_])(-?nan|-?inf)(?![A-Za-z_])|\$-|\$--", re.I)


class Finding(Exception):
    pass


def limits(mem_mb):
    def apply():
        resource.setrlimit(resource.RLIMIT_AS, (mem_mb << 20, mem_mb << 20))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    return apply


def run(ctx, argv, cwd):
    """Runs etchsim; returns (rc, stdout, stderr) or raises Finding."""
    t0 = time.monotonic()
    try:
        p = subprocess.run([ctx.etchsim] + argv, cwd=cwd, stdin=subprocess.DEVNULL,
                           capture_output=True, timeout=ctx.timeout,
                           preexec_fn=limits(ctx.mem_mb))
    except subprocess.TimeoutExpired:
        raise Finding(f"hang: no exit within {ctx.timeout:g} s")
    ctx.wall += time.monotonic() - t0
    out = p.stdout.decode(errors="replace")
    err = p.stderr.decode(errors="replace")
    rc = p.returncode
    if rc < 0:
        raise Finding(f"signal {-rc}: {err.strip()[-200:]}")
    allowed = {0, 2} | ({3} if argv[0] == "plan" else set())
    if rc not in allowed:
        raise Finding(f"exit {rc}: {err.strip()[-200:]}")
    if "AddressSanitizer" in err or "runtime error:" in err:
        raise Finding(f"sanitizer: {err.strip()[:200]}")
    if rc == 2:
        lines = [l for l in err.splitlines() if l.strip()]
        if len(lines) != 1:
            raise Finding(f"{len(lines)} lines on stderr: {err.strip()[:300]!r}")
        if len(lines[0]) > 8192:
            raise Finding(f"an error line of {len(lines[0])} bytes")
    if rc == 0:
        m = ABSURD.search(out)
        if m:
            line = next(l for l in out.splitlines() if m.group(0) in l)
            raise Finding(f"exit 0 with {m.group(0)!r}: {line.strip()[:200]}")
    return rc, out, err


def leftovers(d):
    """Temporaries an atomic write left behind in `d` (a half-written file)."""
    bad = []
    for root, _, files in os.walk(d):
        for f in files:
            if ".tmp" in f or f.endswith("~") or f.startswith(".etchsim"):
                bad.append(os.path.join(root, f))
    return bad


def help_flags(ctx, command):
    """(name, default) of every flag `command --help` lists."""
    p = subprocess.run([ctx.etchsim] + command.split() + ["--help"], capture_output=True)
    flags = []
    for m in re.finditer(r"^  --([a-z0-9-]+)(?:=(\S*))?$", p.stdout.decode(), re.M):
        flags.append((m.group(1), m.group(2)))
    return flags


def numeric(v):
    try:
        float(v)
        return True
    except (TypeError, ValueError):
        return False


def gen_flags(ctx, rng):
    cases = []
    for command, base in BASES.items():
        for name, default in help_flags(ctx, command):
            if name.replace("-", "_") in SKIP_FLAGS or not numeric(default):
                continue
            for edge in EDGES:
                cases.append((command, base, name, edge))
    rng.shuffle(cases)
    for command, base, name, edge in cases:
        yield f"{command} --{name}={edge!r}", command.split() + base + [f"--{name}={edge}"]


def mutate(rng, data):
    """One random mutation of `data` (bytes)."""
    if not data:
        return bytes([rng.randrange(256)])
    k = rng.randrange(7)
    i = rng.randrange(len(data))
    if k == 0:  # bit flip
        b = bytearray(data)
        b[i] ^= 1 << rng.randrange(8)
        return bytes(b)
    if k == 1:  # delete a span
        return data[:i] + data[i + rng.randrange(1, 64):]
    if k == 2:  # insert junk
        return data[:i] + bytes(rng.randrange(256) for _ in range(rng.randrange(1, 16))) + data[i:]
    if k == 3:  # truncate
        return data[:i]
    if k == 4:  # duplicate a line
        lines = data.split(b"\n")
        j = rng.randrange(len(lines))
        return b"\n".join(lines[:j + 1] + [lines[j]] * rng.randrange(1, 4) + lines[j + 1:])
    if k == 5:  # append zero bytes (a crash mid-write, a sparse file)
        return data + b"\0" * rng.choice([1, 100, 4096])
    # a number replaced by an edge value
    nums = list(re.finditer(rb"-?\d+(\.\d+)?([eE][-+]?\d+)?", data))
    if not nums:
        return data + b"\n"
    m = rng.choice(nums)
    edge = rng.choice(["0", "-1", "NaN", "Infinity", "1e308", "9223372036854775807",
                       "4294967296", "1e-300", "-0"]).encode()
    return data[:m.start()] + edge + data[m.end():]


def bundled(src, pattern_dir, ext):
    d = os.path.join(src, pattern_dir)
    return sorted(os.path.join(d, f) for f in os.listdir(d) if f.endswith(ext))


def gen_files(ctx, rng, tmp):
    kinds = [
        ("config", bundled(ctx.src, "model/configs", ".json"), ".json",
         lambda p: ["models", "show", p]),
        ("chip", bundled(ctx.src, "chip/presets", ".textproto"), ".textproto",
         lambda p: ["simulate", "--model", "llama-3.1-8b", "--chip", p, "--requests", "2",
                    "--input-len", "64", "--output-len", "16"]),
        ("link", bundled(ctx.src, "fabric/presets", ".textproto"), ".textproto",
         lambda p: ["simulate", "--scenario", scenario_with_link(tmp, p)]),
        ("scenario", bundled(ctx.src, "tests/scenarios", ".textproto"), ".textproto",
         lambda p: ["simulate", "--scenario", p, "--requests", "2"]),
        ("trace", bundled(ctx.src, "tests/scenarios", ".csv"), ".csv",
         lambda p: ["simulate"] + BASES["simulate"][:6] + ["--trace", p]),
    ]
    n = 0
    while True:
        name, files, ext, argv = kinds[n % len(kinds)]
        n += 1
        base = rng.choice(files)
        with open(base, "rb") as f:
            data = f.read()
        for _ in range(rng.randrange(1, 4)):
            data = mutate(rng, data)
        path = os.path.join(tmp, f"probe{n}{ext}")
        with open(path, "wb") as f:
            f.write(data)
        yield f"{name} {os.path.basename(base)} mutated ({path})", argv(path)


def scenario_with_link(tmp, link_path):
    p = link_path + ".scenario.textproto"
    with open(p, "w") as f:
        f.write('model: "llama-3.1-8b"\nchip: "hc1"\nchips: 2\nmax_requests: 2\n'
                'topology { kind: "two-level" cards_per_server: 1 chip_link: "%s" '
                'card_link: "%s" server_link: "%s" }\n'
                'workload { input_len { fixed: 64 } output_len { fixed: 16 } }\n'
                % (link_path, link_path, link_path))
    return p


def gen_journals(ctx, rng, tmp):
    """A finished two-point sweep, its journal mutated, then resumed or merged."""
    seed_dir = os.path.join(tmp, "sweep-seed")
    argv = ["sweep"] + BASES["sweep"] + ["--out-dir", seed_dir]
    p = subprocess.run([ctx.etchsim] + argv, capture_output=True)
    journals = [os.path.join(seed_dir, f) for f in os.listdir(seed_dir)
                if f.endswith(".journal")] if p.returncode == 0 else []
    if not journals:
        raise SystemExit(f"probe: the seed sweep failed: {p.stderr.decode()[:300]}")
    global SEED_CSV
    with open(os.path.join(seed_dir, "sweep.csv"), "rb") as f:
        SEED_CSV = f.read()
    n = 0
    while True:
        n += 1
        d = os.path.join(tmp, f"sweep{n}")
        shutil.copytree(seed_dir, d)
        for j in journals:
            target = os.path.join(d, os.path.basename(j))
            with open(target, "rb") as f:
                data = f.read()
            for _ in range(rng.randrange(1, 3)):
                data = mutate(rng, data)
            with open(target, "wb") as f:
                f.write(data)
        yield f"sweep journal mutated ({d})", ["sweep"] + BASES["sweep"] + ["--out-dir", d]


def gen_outputs(ctx, rng, tmp):
    n = 0
    while True:
        n += 1
        d = os.path.join(tmp, f"out{n}")
        os.makedirs(d)
        kind = n % 3
        target = os.path.join(d, "target")
        if kind == 0:
            os.symlink(os.path.join(d, "elsewhere"), target)
        elif kind == 1:
            os.mkfifo(target)
        else:
            open(target, "w").close()  # a file where the folder goes
        command = rng.choice(["sweep", "cost breakeven"])
        argv = command.split() + BASES[command] + ["--out-dir", target]
        yield f"{command} --out-dir at a {['symlink', 'FIFO', 'file'][kind]} ({target})", argv


def check_outputs(argv):
    """After a run: a resumed sweep holds its points and no more; a FIFO
    given as a target is still one; no temporaries are left."""
    if "--out-dir" not in argv:
        return
    target = argv[argv.index("--out-dir") + 1]
    csv = os.path.join(target, "sweep.csv")
    if os.path.basename(target).startswith("sweep") and os.path.isfile(csv):
        with open(csv, "rb") as f:
            rows = f.read().count(b"\n") - 1
        if rows != SWEEP_POINTS:
            raise Finding(f"sweep.csv holds {rows} rows for a {SWEEP_POINTS}-point sweep")
        with open(csv, "rb") as f:
            got = f.read()
        if re.search(rb"(?<![A-Za-z_])-?(nan|inf)(?![A-Za-z_])", got, re.I):
            raise Finding("sweep.csv holds nan or inf")
        # A journal that was accepted (a torn tail dropped and rerun) must
        # resume to the very bytes of the sweep that wrote it.
        if SEED_CSV is not None and got != SEED_CSV:
            raise Finding("a resumed sweep.csv differs from the original run's")
    if os.path.basename(target) != "target":
        return
    d = os.path.dirname(target)
    bad = leftovers(d)
    if bad:
        raise Finding(f"temporaries left behind: {bad[:3]}")
    st = os.lstat(target)
    # The symlink's far end may have been made a folder of outputs (a
    # shell's `> link` writes through too); a FIFO must stay a FIFO.
    if n_kind(d) == 1 and not stat.S_ISFIFO(st.st_mode):
        raise Finding("the FIFO given as --out-dir was replaced")


def n_kind(d):
    return int(re.search(r"out(\d+)$", d).group(1)) % 3


class Ctx:
    pass


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("etchsim")
    ap.add_argument("src")
    ap.add_argument("--runs", type=int, default=200, help="probes in all (split over kinds)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=20)
    ap.add_argument("--mem-mb", type=int, default=4096)
    ap.add_argument("--kinds", default="flags,files,journals,outputs")
    a = ap.parse_args()
    ctx = Ctx()
    ctx.etchsim, ctx.src = os.path.abspath(a.etchsim), os.path.abspath(a.src)
    ctx.timeout, ctx.mem_mb, ctx.wall = a.timeout, a.mem_mb, 0.0
    rng = random.Random(a.seed)
    tmp = tempfile.mkdtemp(prefix="etchsim_probe_")
    kinds = a.kinds.split(",")
    gens = {"flags": lambda: gen_flags(ctx, rng), "files": lambda: gen_files(ctx, rng, tmp),
            "journals": lambda: gen_journals(ctx, rng, tmp),
            "outputs": lambda: gen_outputs(ctx, rng, tmp)}
    findings, totals = [], {}
    t0 = time.monotonic()
    for kind in kinds:
        if kind not in gens:
            raise SystemExit(f"probe: --kinds: unknown kind {kind!r} (known: {', '.join(gens)})")
        budget = a.runs // len(kinds)
        counts = {"runs": 0, "exit0": 0, "exit2": 0, "exit3": 0, "findings": 0}
        for i, (what, argv) in enumerate(gens[kind]()):
            if i >= budget:
                break
            counts["runs"] += 1
            cwd = tempfile.mkdtemp(dir=tmp)
            try:
                rc, _, _ = run(ctx, argv, cwd)
                counts[f"exit{rc}"] += 1
                if leftovers(cwd):
                    raise Finding(f"temporaries left behind: {leftovers(cwd)[:3]}")
                check_outputs(argv)
            except Finding as f:
                counts["findings"] += 1
                findings.append(f"{kind}: {what}: {f}")
                print(f"FINDING {kind}: {what}: etchsim {' '.join(argv)[:300]}: {f}", flush=True)
        totals[kind] = counts
    for kind, c in totals.items():
        print(f"probe {kind}: {c['runs']} runs, exit 0/2/3: {c['exit0']}/{c['exit2']}/"
              f"{c['exit3']}, {c['findings']} findings")
    print(f"probe: {sum(c['runs'] for c in totals.values())} runs in "
          f"{time.monotonic() - t0:.1f} s (seed {a.seed}), {len(findings)} findings")
    shutil.rmtree(tmp, ignore_errors=True)
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
