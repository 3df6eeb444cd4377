#!/usr/bin/env bash
# setup-venv.sh [VENV]: creates the Python virtual environment the plotting
# scripts run in (default build/release/venv) from scripts/requirements.txt.
# Re-running with the same requirements does nothing. Needs PyPI; exits 3
# when the packages cannot be installed (e.g. offline), so callers can skip.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
venv=${1:-$here/../build/release/venv}
req=$here/requirements.txt
stamp=$venv/.requirements
if [[ -f $stamp ]] && cmp -s "$req" "$stamp"; then
  exit 0
fi
python3 -m venv "$venv"
if ! "$venv/bin/pip" install -q --disable-pip-version-check -r "$req"; then
  echo "setup-venv: cannot install $req (offline?)" >&2
  exit 3
fi
cp "$req" "$stamp"
echo "setup-venv: $venv ready"
