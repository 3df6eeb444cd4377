#!/usr/bin/env bash
# expect_cli.sh CODE STDOUT_REGEX STDERR_REGEX -- COMMAND...
# Runs COMMAND and checks its exit code and that stdout / stderr match the
# extended regexes (empty regex = must be empty). Used by ctest for
# end-to-end checks of the etchsim binary as a user runs it.
set -u
want_code=$1 out_re=$2 err_re=$3
shift 3
[[ $1 == "--" ]] && shift
out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
"$@" >"$out" 2>"$err" </dev/null
code=$?
fail=0
if [[ $code -ne $want_code ]]; then
  echo "exit code $code, want $want_code"; fail=1
fi
check() {  # name file regex
  if [[ -z $3 ]]; then
    [[ -s $2 ]] && { echo "$1 should be empty"; fail=1; }
  elif ! grep -Eq -- "$3" "$2"; then
    echo "$1 does not match /$3/"; fail=1
  fi
}
check stdout "$out" "$out_re"
check stderr "$err" "$err_re"
if [[ $fail -ne 0 ]]; then
  echo "--- command: $*"; echo "--- stdout:"; head -c 4000 "$out"
  echo "--- stderr:"; head -c 4000 "$err"
fi
exit $fail
