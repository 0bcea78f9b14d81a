#!/usr/bin/env bash
# Runs a conformance runner on tests/conformance-negative, where every case is written to
# fail, and checks that it failed every one of them: a runner that ignored a field of the
# case format would pass some. Usage: tests/expect-all-fail.sh COMMAND...
set -uo pipefail
dir=tests/conformance-negative
n=$(ls "$dir"/*.json | wc -l)
out=$("$@" "$dir" 2>&1)
last=$(printf '%s\n' "$out" | tail -1)
if [ "$last" != "0 passed, $n failed" ]; then
  printf '%s\n' "$out" | grep -v '^FAIL' >&2
  echo "expected every one of the $n negative cases to fail, got: $last ($*)" >&2
  exit 1
fi
echo "negative cases: all $n fail as they must ($1)"
