#!/usr/bin/env bash
# k8s_validate.sh: validates deploy/k8s/*.yaml against the Kubernetes API
# schemas (kubernetes-validate from PyPI, pinned in deploy/k8s/requirements.txt,
# installed into a private virtualenv under the build tree), strictly (no
# unknown fields), checks --chip-addresses names every chip replica, and
# that prometheus.yaml embeds the current rules, console and chip count, and
# validates the TLS variant deploy/k8s/generate-tls.py writes.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
venv=${1:-$here/build/k8s-venv}
if [ ! -x "$venv/bin/kubernetes-validate" ]; then
  python3 -m venv "$venv" > /dev/null || { echo "SKIP: python3 -m venv unavailable"; exit 77; }
  "$venv/bin/pip" install -q -r "$here/deploy/k8s/requirements.txt" ||
    { echo "SKIP: cannot install kubernetes-validate from PyPI"; exit 77; }
fi
"$here/deploy/k8s/generate-prometheus.py" --check
"$venv/bin/kubernetes-validate" --strict --kubernetes-version 1.31.0 "$here"/deploy/k8s/*.yaml
# The TLS variant, generated with fresh certificates into a private directory.
tls=$(mktemp -d)
trap 'rm -rf "$tls"' EXIT
"$here/deploy/k8s/generate-tls.py" "$tls" > /dev/null
"$venv/bin/kubernetes-validate" --strict --kubernetes-version 1.31.0 "$tls/etchsim-tls.yaml"
[ "$(grep -c -- '--tls-ca=/tls/ca.pem' "$tls/etchsim-tls.yaml")" = 3 ] ||
  { echo "etchsim-tls.yaml: want --tls-* on the chips, the coordinator and the Job"; exit 1; }
python3 - "$here/deploy/k8s/etchsim.yaml" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
replicas = int(re.search(r"name: etchsim-chip\n.*?replicas: (\d+)", text, re.S).group(1))
addrs = re.search(r"--chip-addresses=(\S+)", text).group(1).split(",")
want = [f"etchsim-chip-{k}.etchsim-chips.etchsim.svc.cluster.local:50061" for k in range(replicas)]
if addrs != want:
    sys.exit(f"--chip-addresses lists {len(addrs)} chips, the StatefulSet has {replicas}")
print(f"chip addresses match {replicas} replicas")
PY
python3 - "$here/deploy/k8s/sweep-job.yaml" "$here/deploy/sweep.textproto" <<'PY'
import re, sys
text, sweep = open(sys.argv[1]).read(), open(sys.argv[2]).read()
block = re.search(r"sweep.textproto: \|\n((?:    .*\n|\n)*)", text).group(1)
inline = "".join(l[4:] + "\n" if l else "\n" for l in block.rstrip("\n").split("\n"))
if inline.strip() != sweep.strip():
    sys.exit("deploy/k8s/sweep-job.yaml's ConfigMap differs from deploy/sweep.textproto")
n = int(re.search(r"completions: (\d+)", text).group(1))
if f"--shard=$(JOB_COMPLETION_INDEX)/{n}" not in text:
    sys.exit(f"--shard must be $(JOB_COMPLETION_INDEX)/{n} for {n} completions")
print(f"sweep job: {n} shards, ConfigMap matches deploy/sweep.textproto")
PY
