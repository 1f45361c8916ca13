#!/usr/bin/env bash
# The fuzz suite's long mode (docs/reliability.md): 2,000 mutated inputs per target with fixed seeds,
# each case in a worker child process (60 s and 3 GiB per case). Prints the table of outcomes per
# target and writes it to benchmarks/results/fuzz-long.md; exits 1 on any finding (an untyped
# exception, a NaN output, a partial load, a hang, a crash or runaway memory).
#   bash benchmarks/fuzz.sh [--cases N] [--seed S] [--targets bilm-hdf5,options,...]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-prereqs.sh
dotnet build tests/ElmoKeras.Fuzz -c Release -nologo -v q
mkdir -p benchmarks/results
dotnet run --project tests/ElmoKeras.Fuzz -c Release --no-build -- run --mode long --report benchmarks/results/fuzz-long.md "$@"
