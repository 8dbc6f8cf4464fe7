#!/usr/bin/env bash
# CI: every in-scope ONNX backend-test case must PASS with the given engine.
#   run_in_scope.sh LOOMC LIST [ENGINE]
set -uo pipefail
loomc=$1 list=$2 engine=${3:-reference}
root=/usr/share/libonnx-testdata/data
mapfile -t cases < <(grep -v '^\s*#' "$list" | grep -v '^\s*$' | sed "s|^|$root/|")
echo "running ${#cases[@]} in-scope cases with --engine $engine"
out=$(mktemp)
"$loomc" check --engine "$engine" "${cases[@]}" > "$out"
status=$?
grep -v '^PASS ' "$out"
rm -f "$out"
exit "$status"
