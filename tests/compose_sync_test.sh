#!/usr/bin/env bash
# compose_sync_test.sh: the committed default cluster (deploy/compose) must be
# exactly what deploy/compose/generate.py --chips 30 writes, with rules and
# console pages identical to deploy/prometheus; the compose file must parse.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$here/deploy/compose/generate.py" --chips 30 --out "$tmp"
diff -r -x generate.py -x __pycache__ "$tmp" "$here/deploy/compose" ||
  { echo "deploy/compose is stale: run deploy/compose/generate.py --chips 30"; exit 1; }
if command -v docker-compose > /dev/null 2>&1; then
  (cd "$here/deploy/compose" && docker-compose config -q) && echo "compose file parses"
fi
echo "deploy/compose matches generate.py"
