#!/usr/bin/env bash
# CI: every --schedule value keeps the compiled engine's outputs correct.
# Each producer (default, Halide's three autoschedulers) compiles the given
# cases, whose outputs must PASS `loomc check`; the schedules saved with
# --dump-schedule load back (--schedule FILE.json) without warnings, still
# PASS, and dump again byte-identical.
#   run_schedules.sh LOOMC CASE_DIR...
set -uo pipefail
loomc=$1
shift
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
status=0
check() {  # check LABEL ARGS...: must print no FAIL/UNSUPPORTED and exit 0
  local label=$1
  shift
  if ! "$loomc" check --engine compiled "$@" > "$dir/out" 2> "$dir/err" ||
    grep -Eq '^(FAIL|UNSUPPORTED) ' "$dir/out"; then
    echo "--schedule $label:"
    cat "$dir/out" "$dir/err"
    status=1
  else
    echo "--schedule $label: $(tail -1 "$dir/out")"
  fi
}
for s in default mullapudi2016 adams2019 li2018; do
  check "$s" --schedule "$s" --dump-schedule "$dir/$s.json" "$@"
done
for s in default mullapudi2016; do
  check "$s.json" --schedule "$dir/$s.json" --dump-schedule "$dir/$s.again.json" "$@"
  if grep -q 'warning' "$dir/err"; then
    echo "--schedule $s.json warned:"
    cat "$dir/err"
    status=1
  fi
  if ! cmp -s "$dir/$s.json" "$dir/$s.again.json"; then
    echo "--schedule $s.json: the schedules dumped again differ from the loaded ones"
    status=1
  fi
done
exit "$status"
