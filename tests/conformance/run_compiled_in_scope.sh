#!/usr/bin/env bash
# CI: the compiled engine (compile() + Executable) on every in-scope ONNX case
# except the RNN family (conformance_compiled_recurrent covers those). No case
# may FAIL, and exactly the cases of the expected list may be UNSUPPORTED.
#   run_compiled_in_scope.sh LOOMC IN_SCOPE_LIST EXPECTED_UNSUPPORTED_LIST
set -uo pipefail
loomc=$1 list=$2 expected=$3
root=/usr/share/libonnx-testdata/data
mapfile -t cases < <(grep -v '^\s*#' "$list" | grep -v '^\s*$' |
  grep -Ev '/test_(lstm|gru|rnn|simple_rnn)_' | sed "s|^|$root/|")
echo "running ${#cases[@]} in-scope cases with --engine compiled"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$loomc" check --engine compiled "${cases[@]}" > "$out"
status=$?
grep -v '^PASS ' "$out"
got=$(sed -n 's/^UNSUPPORTED \([^:]*\):.*/\1/p' "$out" | sort)
want=$(grep -v '^\s*#' "$expected" | sed 's/\s*#.*//' | grep -v '^\s*$' | sort)
if [[ "$got" != "$want" ]]; then
  echo "the UNSUPPORTED cases differ from $expected:"
  diff <(echo "$want") <(echo "$got")
  status=1
fi
exit "$status"
