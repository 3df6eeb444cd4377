#!/usr/bin/env python3
"""metrics_doc_test.py SRC: the metric names the code registers, the
recording rules, the console, the Grafana dashboard and docs/operations.md
agree.

1. Every series rpc/ registers is in docs/operations.md's metric table
   (etchsim_report_X may appear as X in the etchsim_report_* row).
2. Every etchsim:* rule the console, the dashboard, the alerts or the
   docs use is recorded in deploy/prometheus/rules.yml.
3. Every etchsim_* series the rules, the console or the dashboard query
   is one the code registers (histograms with _bucket/_count/_sum).
"""
import glob
import os
import re
import sys

src = sys.argv[1]


def read(path):
    with open(os.path.join(src, path)) as f:
        return f.read()


code = set()
for path in glob.glob(os.path.join(src, "rpc", "*.cc")):
    if path.endswith("_test.cc"):
        continue
    code |= set(re.findall(r'"(etchsim_[a-z0-9_]+)"', open(path).read()))
doc = read("docs/operations.md")
table = [l for l in doc.splitlines() if l.startswith("| `etchsim_")]
report_row = next((l for l in table if l.startswith("| `etchsim_report_*`")), "")
errors = []
for name in sorted(code):
    if any(f"`{name}" in l or f" `{name}`" in l or f"`{name}{{" in l for l in table):
        continue
    if name.startswith("etchsim_report_") and f"`{name[len('etchsim_report_'):]}" in report_row:
        continue
    errors.append(f"docs/operations.md: the metric table does not list {name}")

rules = read("deploy/prometheus/rules.yml")
recorded = set(re.findall(r"record:\s*(etchsim:[a-z0-9_:]+)", rules))
users = {
    "deploy/prometheus/consoles/etchsim.html": read("deploy/prometheus/consoles/etchsim.html"),
    "deploy/grafana/etchsim-dashboard.json": read("deploy/grafana/etchsim-dashboard.json"),
    "deploy/prometheus/rules.yml": rules,
    "docs/operations.md": doc,
}
for where, text in users.items():
    for rule in sorted(set(re.findall(r"etchsim:[a-z0-9_]+(?::[a-z0-9_]+)*", text))):
        if rule not in recorded and rule != "etchsim:local":  # the image tag
            errors.append(f"{where}: uses {rule}, which rules.yml does not record")
    if where == "docs/operations.md":
        continue
    for series in sorted(set(re.findall(r"\betchsim_[a-z0-9_]+", text))):
        base = re.sub(r"_(bucket|count|sum)$", "", series)
        if series not in code and base not in code:
            errors.append(f"{where}: queries {series}, which no process exports")
for e in errors:
    print(e)
if errors:
    sys.exit(1)
print(f"{len(code)} series in the docs; {len(recorded)} rules recorded and every use resolves")
