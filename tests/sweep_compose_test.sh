#!/usr/bin/env bash
# sweep_compose_test.sh ETCHSIM: runs deploy/compose-sweep/docker-compose.yml (4
# shard containers and a merge) and checks the merged sweep.csv equals the
# same sweep run in process, byte for byte. Skipped (77) when no Docker
# daemon answers.
set -u
source "$(dirname "$0")/docker_lib.sh"
set -e
project=etchsimsweep$$
dc() { "${compose[@]}" -p "$project" -f "$here/deploy/compose-sweep/docker-compose.yml" "$@"; }
trap 'dc down -v --remove-orphans --timeout 5 > /dev/null 2>&1; rm -rf "$dir"' EXIT
"$here/deploy/build-images.sh" > "$dir/build.log" 2>&1 || { tail -20 "$dir/build.log"; exit 1; }
# Plain `up` (not --abort-on-container-exit, which would stop the other
# shards when the first one finishes; --abort-on-container-failure is
# compose v2 only): it returns when every container has exited, and the
# exit codes are checked one by one.
dc up --no-color > "$dir/up.log" 2>&1 || { tail -40 "$dir/up.log"; exit 1; }
for c in $(dc ps -aq); do
  code=$(docker inspect -f '{{.State.ExitCode}}' "$c")
  if [ "$code" != 0 ]; then
    echo "container $(docker inspect -f '{{.Name}}' "$c") exited with $code:"
    tail -40 "$dir/up.log"
    exit 1
  fi
done
docker cp "$(dc ps -aq merge)":/out/sweep.csv "$dir/compose.csv"  # a FROM-scratch image has no cat
"$etchsim" sweep --sweep "$here/deploy/sweep.textproto" --out-dir "$dir/local" > /dev/null 2>&1
cmp "$dir/compose.csv" "$dir/local/sweep.csv"
echo "merged shards from 4 containers equal the in-process sweep"
