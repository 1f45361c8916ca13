#!/usr/bin/env bash
# Runs the whole test suite in Release and prints a one-line summary ("N passed, N failed, N skipped").
set -uo pipefail
cd "$(dirname "$0")/.."
# TorchSharp needs a newer libstdc++ than Debian 12 ships; a no-op where it is present.
bash scripts/install-prereqs.sh
log=$(mktemp)
dotnet test ElmoKeras.sln -c Release --logger "console;verbosity=normal" "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
# With normal verbosity VSTest ends each assembly with "Total tests: T", "Passed: P", "Failed: F", "Skipped: S".
awk '/^ *Passed: [0-9]+$/ { p += $2 } /^ *Failed: [0-9]+$/ { f += $2 } /^ *Skipped: [0-9]+$/ { s += $2 } /^Total tests:/ { seen = 1 }
     END { if (seen) printf "tests: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
rm -f "$log"
exit $rc
