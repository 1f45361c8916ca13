#!/usr/bin/env bash
# ElmoBatcher under CLIENTS concurrent in-process callers (no HTTP), interleaved with the offline
# `elmo bench` on batches of the same size in file order (what the batcher can form from reviews in
# flight), ROUNDS times. Splits a serve-load.sh gap into what batching costs and what the server
# around it costs. Uses the model and IMDB folder that benchmarks/serve-load.sh prepared in WORK.
#
#   bash benchmarks/serve-load.sh   # once, to prepare $WORK
#   bash benchmarks/batcher-load.sh # CLIENTS=32 SECONDS_PER_RUN=30 ROUNDS=2 ARCH=small THREADS=2
#
# A benchmark: it measures and prints JSON lines; it asserts nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
source benchmarks/serve-work.sh
clients=${CLIENTS:-32}
seconds=${SECONDS_PER_RUN:-30}
rounds=${ROUNDS:-2}
dotnet build benchmarks/BatcherLoad -c Release -v quiet -nologo >&2
for round in $(seq 1 "$rounds"); do
  echo "{\"round\": $round, \"batcher\": $(dotnet benchmarks/BatcherLoad/bin/Release/net10.0/BatcherLoad.dll "$work/$arch/options.json" "$work/$arch/weights.hdf5" "$work/imdb" "$clients" "$seconds" "$threads")}"
  echo "{\"round\": $round, \"offline\": $(dotnet samples/ElmoCli/bin/Release/net10.0/elmo.dll bench --imdb "$work/imdb" --options-file "$work/$arch/options.json" --weight-file "$work/$arch/weights.hdf5" --token-cache 0 --n 512 --threads "$threads" --batch-size "$clients" --no-bucketing | tail -n 1)}"
done
