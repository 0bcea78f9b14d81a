#!/usr/bin/env bash
# Runs every fuzz target (or the ones named) for FUZZ_SECONDS each (default 900), one after
# the other, and prints one line per target: seconds, runs, coverage, crashes found. The
# targets are built once and copied, so the run tests one commit even if the tree changes.
# New inputs go to target/fuzz-corpus/<target>; the committed seeds in
# tests/fuzz/corpus/<target> are only read. Crashes land in target/fuzz-artifacts/<target>.
# Needs the nightly toolchain and cargo-fuzz (docs/quality.md).
set -uo pipefail
cd "$(dirname "$0")/../.."
secs=${FUZZ_SECONDS:-900}
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(c_api commands records columns snapshot replay insz qr)
cargo +nightly fuzz build --fuzz-dir tests/fuzz -O >/dev/null 2>&1 || { echo "fuzz build failed"; exit 1; }
bin=target/fuzz-bin
mkdir -p "$bin" target/fuzz-logs
for t in "${targets[@]}"; do
  cp "tests/fuzz/target/x86_64-unknown-linux-gnu/release/$t" "$bin/$t"
done
echo "commit $(git rev-parse --short HEAD)$(git diff --quiet || echo ' (with uncommitted changes)'), $secs s per target"
for t in "${targets[@]}"; do
  mkdir -p "target/fuzz-corpus/$t" "target/fuzz-artifacts/$t"
  log="target/fuzz-logs/$t.log"
  start=$(date +%s)
  "$bin/$t" -max_total_time="$secs" -rss_limit_mb=4096 -timeout=20 \
    -artifact_prefix="target/fuzz-artifacts/$t/" \
    "target/fuzz-corpus/$t" "tests/fuzz/corpus/$t" >"$log" 2>&1
  rc=$?
  end=$(date +%s)
  runs=$(grep -oE '^Done [0-9]+ runs' "$log" | grep -oE '[0-9]+' | tail -1)
  cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1)
  crashes=$(ls "target/fuzz-artifacts/$t" 2>/dev/null | wc -l)
  echo "$t: $((end - start)) s, ${runs:-?} runs, ${cov:-cov: ?}, exit $rc, crashes $crashes"
done
