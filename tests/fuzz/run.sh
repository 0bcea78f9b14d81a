#!/usr/bin/env bash
# Runs every fuzz target (or the ones named) for FUZZ_SECONDS each (default 900), one after
# the other, and prints one line per target: runs, coverage, crashes. New inputs go to
# target/fuzz-corpus/<target>; the committed seeds in tests/fuzz/corpus/<target> are read only.
# Needs the nightly toolchain and cargo-fuzz (docs/quality.md).
set -uo pipefail
cd "$(dirname "$0")/../.."
secs=${FUZZ_SECONDS:-900}
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(c_api commands records snapshot replay insz qr)
cargo +nightly fuzz build --fuzz-dir tests/fuzz -O >/dev/null 2>&1 || { echo "fuzz build failed"; exit 1; }
for t in "${targets[@]}"; do
  mkdir -p "target/fuzz-corpus/$t" "target/fuzz-logs"
  log="target/fuzz-logs/$t.log"
  start=$(date +%s)
  cargo +nightly fuzz run --fuzz-dir tests/fuzz -O "$t" "target/fuzz-corpus/$t" "tests/fuzz/corpus/$t" -- \
    -max_total_time="$secs" -rss_limit_mb=4096 -timeout=20 >"$log" 2>&1
  rc=$?
  end=$(date +%s)
  done_line=$(grep -E '^Done' "$log" | tail -1)
  cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1)
  crashes=$(ls "tests/fuzz/artifacts/$t" 2>/dev/null | wc -l)
  echo "$t: $((end - start)) s, ${done_line:-no summary}, ${cov:-cov: ?}, exit $rc, artifacts $crashes"
done
