#!/usr/bin/env bash
# Runs the whole test suite in Release and prints a one-line summary ("N passed, N failed, N skipped").
set -uo pipefail
cd "$(dirname "$0")/.."
# TorchSharp needs a newer libstdc++ than Debian 12 ships; a no-op where it is present.
bash scripts/install-prereqs.sh
log=$(mktemp)
dotnet test ElmoKeras.sln -c Release --logger "console;verbosity=normal" "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
# The fuzz suite's short mode (docs/reliability.md): every file format mutated with fixed seeds, each
# case in a worker child process with time and memory limits. About 20 s on 2 cores; set
# ELMOKERAS_SKIP_FUZZ=1 to leave it out (for example when running a filtered subset of tests).
if [ "${ELMOKERAS_SKIP_FUZZ:-0}" != 1 ]; then
  # Built explicitly: `dotnet test` builds only the projects that hold tests (and what they reference).
  dotnet build tests/ElmoKeras.Fuzz -c Release -v quiet -nologo >/dev/null 2>&1 || dotnet build tests/ElmoKeras.Fuzz -c Release -v quiet -nologo
  dotnet run --project tests/ElmoKeras.Fuzz -c Release --no-build -- run --mode short 2>&1 | tee -a "$log"
  fuzz_rc=${PIPESTATUS[0]}
  [ "$fuzz_rc" -ne 0 ] && rc=$fuzz_rc
fi
# With normal verbosity VSTest ends each assembly with "Total tests: T", "Passed: P", "Failed: F", "Skipped: S".
awk '/^ *Passed: [0-9]+$/ { p += $2 } /^ *Failed: [0-9]+$/ { f += $2 } /^ *Skipped: [0-9]+$/ { s += $2 } /^Total tests:/ { seen = 1 }
     END { if (seen) printf "tests: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
rm -f "$log"
exit $rc
