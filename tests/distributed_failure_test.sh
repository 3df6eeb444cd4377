#!/usr/bin/env bash
# distributed_failure_test.sh ETCHSIM MODE: a chip process dies (MODE=kill,
# SIGKILL) or stops answering (MODE=stop, SIGSTOP) in the middle of a run
# over chip processes; or (MODE=service) a chip of a `cluster up` cluster
# is killed during a run submitted to its coordinator. The run must end
# with a non-zero exit and an error naming the chip, within a bounded time,
# with no report written and no process left behind.
set -u
etchsim=$1 mode=$2
dir=$(mktemp -d)
pids_to_check=()
cleanup() {
  for p in "${bg[@]:-}"; do [ -n "$p" ] && kill -9 "$p" 2>/dev/null; done
  rm -rf "$dir"
}
bg=()
trap cleanup EXIT
fail() { echo "FAIL ($mode): $*"; for f in "$dir"/*.err; do echo "--- $f"; tail -15 "$f"; done; exit 1; }

# wait_for FILE REGEX SECONDS
wait_for() {
  local i
  for ((i = 0; i < $3 * 10; i++)); do grep -qE "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  return 1
}
# wait_exit PID SECONDS -> exit status in $rc (124 on timeout)
wait_exit() {
  local i
  for ((i = 0; i < $2 * 10; i++)); do
    if ! kill -0 "$1" 2>/dev/null; then wait "$1"; rc=$?; return 0; fi
    sleep 0.1
  done
  rc=124
}

# A run long enough to be caught in the middle (hundreds of virtual ms).
scenario=(--users 8 --input-len 256 --output-len 512 --requests 400)
victim=7
started="chip 29"         # the last process to start
victim_role="chip $victim" # what the failure test kills
victim_name="chip $victim" # what the error must name
if [ "$mode" = kill_grouped ]; then
  scenario+=(--chips-per-process 10)
  victim=1
  started="chip process 2"
  victim_role="chip process 1"
  victim_name="chips 10-19"
fi

if [ "$mode" = service ]; then
  "$etchsim" cluster up --local --chips 30 --listen 127.0.0.1:0 > "$dir/up.out" 2> "$dir/up.err" &
  up=$!; bg+=("$up")
  wait_for "$dir/up.out" 'coordinator  127' 60 || fail "cluster did not come up"
  coord=$(sed -n 's/^  coordinator  \([0-9.:]*\) .*/\1/p' "$dir/up.out")
  "$etchsim" simulate "${scenario[@]}" --coordinator="$coord" --progress --out "$dir/report.json" \
    > "$dir/sim.out" 2> "$dir/sim.err" &
  sim=$!; bg+=("$sim")
  logs="$dir/up.err"
else
  "$etchsim" simulate "${scenario[@]}" --distributed=local --progress --out "$dir/report.json" \
    > "$dir/sim.out" 2> "$dir/sim.err" &
  sim=$!; bg+=("$sim")
  logs="$dir/sim.err"
fi
wait_for "$logs" "^started $started " 60 || fail "chips did not start"
wait_for "$dir/sim.err" '^virtual [0-9]*\.[0-9]*[1-9]' 60 || fail "the run made no progress"
victim_pid=$(sed -n "s/^started $victim_role (pid \([0-9]*\)).*/\1/p" "$logs")
[ -n "$victim_pid" ] || fail "no pid for $victim_role"
t0=$(date +%s.%N)
if [ "$mode" = stop ]; then kill -STOP "$victim_pid"; else kill -9 "$victim_pid"; fi

# A dead process closes its sockets; a paused one misses the coordinator's
# health checks (4 s). Allow generous slack on a loaded machine.
wait_exit "$sim" 60
detect_s=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
[ "$rc" = 124 ] && fail "the run hung after chip $victim was ${mode}ped"
[ "$rc" = 0 ] && fail "the run succeeded although chip $victim was gone"
grep -q "$victim_name\b" "$dir/sim.err" || fail "the error does not name $victim_name"
grep -q "virtual time" "$dir/sim.err" || fail "the error does not give the virtual time"
if [ "$mode" = stop ]; then
  grep -q "paused" "$dir/sim.err" || fail "the error does not say the process is paused"
fi
[ -e "$dir/report.json" ] && fail "a report was written for a failed run"
[ -s "$dir/sim.out" ] && fail "a report was printed for a failed run"
echo "error ($mode, exit $rc, ${detect_s} s after the signal): $(grep -m1 '^etchsim:' "$dir/sim.err")"

if [ "$mode" = service ]; then
  kill -CONT "$victim_pid" 2>/dev/null
  kill -TERM "$up"
  wait_exit "$up" 30
  [ "$rc" = 124 ] && fail "cluster up did not stop"
fi
# Nothing may outlive the command that started it.
for pid in $(sed -n 's/^started [a-z ]* *[0-9]* *(pid \([0-9]*\)).*/\1/p' "$logs"); do
  for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && fail "process $pid is still running"
done
echo "PASS ($mode)"
