#!/usr/bin/env bash
# CI: the whole libonnx-testdata tree runs through `loomc check` without a crash
# or a hang. Out-of-scope cases must end as clean UNSUPPORTED lines; a crash
# (signal, exit > 1) or a missing result line fails the test. Hangs are caught
# by CTest's timeout on this test.
#   run_whole_tree.sh LOOMC
set -uo pipefail
loomc=$1
root=/usr/share/libonnx-testdata/data
cases=()
for group in node pytorch-converted pytorch-operator simple real; do
  for d in "$root/$group"/*/; do cases+=("${d%/}"); done
done
out=$(mktemp)
"$loomc" check "${cases[@]}" > "$out" 2> "$out.err"
status=$?
lines=$(grep -cE '^(PASS|FAIL|UNSUPPORTED) ' "$out")
tail -n 1 "$out"
fail=0
if (( status > 1 )); then
  echo "loomc check exited with status $status (crash or internal error); stderr:"; tail -n 20 "$out.err"; fail=1
fi
if (( lines != ${#cases[@]} )); then
  echo "expected ${#cases[@]} result lines, got $lines"; fail=1
fi
if grep -q 'internal error' "$out"; then
  echo "internal errors reported:"; grep 'internal error' "$out" | head -20; fail=1
fi
rm -f "$out" "$out.err"
exit $fail
