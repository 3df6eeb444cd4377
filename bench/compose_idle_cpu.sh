#!/usr/bin/env bash
# compose_idle_cpu.sh [COMPOSE_DIR]: CPU an idle compose cluster takes
# (health checks, scrapes, metric refresh), summed over its containers'
# cgroups (cpuacct, cgroup v1) for 60 s after 45 s of settling. Needs the
# images (deploy/build-images.sh) and Docker; ports are picked by Docker.
# docs/BENCHMARKS.md records the result.
set -euo pipefail
src=${1:-$(cd "$(dirname "$0")/../deploy/compose" && pwd)}
work=$(mktemp -d)
proj=etchsimidle$$
cp "$src/docker-compose.yml" "$work/" && cp -r "$src/prometheus" "$work/"
# Free host ports, not the fixed defaults.
sed -i 's/"127.0.0.1:${ETCHSIM_COORDINATOR_PORT:-50051}:50051"/"127.0.0.1::50051"/;
        s/"127.0.0.1:${ETCHSIM_PROMETHEUS_PORT:-9090}:9090"/"127.0.0.1::9090"/' "$work/docker-compose.yml"
dc() { (cd "$work" && docker-compose -p "$proj" "$@"); }
trap 'dc down -v --timeout 5 > /dev/null 2>&1; rm -rf "$work"' EXIT
dc up -d > /dev/null 2>&1
sleep 45
ids=$(docker ps -q --no-trunc --filter "label=com.docker.compose.project=$proj")
usage() {
  local t=0
  for i in $ids; do t=$((t + $(cat "/sys/fs/cgroup/cpuacct/docker/$i/cpuacct.usage"))); done
  echo "$t"
}
a=$(usage)
sleep 60
b=$(usage)
echo "$(echo "$ids" | wc -w) containers: $(python3 -c "print('%.3f' % (($b - $a) / 60e9))") cores busy (mean over 60 s idle; $(nproc) cores; $(uptime | sed 's/.*load/load/'))"
