#!/usr/bin/env bash
# Runs the README's shell and C snippets exactly as printed (issue 14): the uniffi commands,
# then main.c with its build lines, from the repository root. The Rust snippet runs as a
# doctest (core/src/lib.rs includes the README) and the Python one under pytest
# (python/tests/test_readme.py).
set -euo pipefail
cd "$(dirname "$0")/.."

# The fenced block that follows the marker `<!-- readme-test: TAG -->`.
block() {
  awk -v tag="<!-- readme-test: $1 -->" '
    $0 == tag { found = 1; next }
    found && /^```/ { if (inside) exit; inside = 1; next }
    inside { print }' README.md
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp" main.c hello' EXIT

block uniffi > "$tmp/uniffi.sh"
test -s "$tmp/uniffi.sh"
rm -rf target/bindings
bash -euo pipefail "$tmp/uniffi.sh"
test -f target/bindings/kotlin/uniffi/tijdreg_ffi/tijdreg_ffi.kt
test -f target/bindings/swift/tijdreg_ffi.swift
echo "README uniffi commands: ran as printed"

test ! -e main.c || { echo "main.c exists in the repository root; not overwriting it"; exit 1; }
block c > main.c
block c-build > "$tmp/build.sh"
out=$(bash -euo pipefail "$tmp/build.sh")
echo "$out"
case "$out" in
  "0 "*organisation_created*) echo "README C snippet: built and ran as printed" ;;
  *) echo "README C snippet: unexpected output"; exit 1 ;;
esac
