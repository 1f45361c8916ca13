#!/usr/bin/env bash
# The offline `elmo bench` of two commits, interleaved on the same machine (ROUNDS rounds, each
# running BASE then this checkout, length-bucketed and in file order in batches of 32): how a
# change moved throughput. BASE is built in a git worktree under /tmp.
#
#   bash benchmarks/ab-offline.sh 1022b0c        # ROUNDS=3 N=512 ARCH=small (needs serve-load.sh's WORK prepared)
#
# A benchmark: it prints one line per run and asserts nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
base=${1:?usage: ab-offline.sh BASE_COMMIT}
source benchmarks/serve-work.sh
rounds=${ROUNDS:-3}
n=${N:-512}
tree=/tmp/elmo-ab-$base
[ -d "$tree" ] || git worktree add -f "$tree" "$base" -q
dotnet build "$tree/samples/ElmoCli" -c Release -v quiet -nologo >&2
for round in $(seq 1 "$rounds"); do
  for side in base head; do
    dir=$tree; [ "$side" = head ] && dir=.
    for mode in "" "--batch-size 32 --no-bucketing"; do
      rate=$(dotnet "$dir/samples/ElmoCli/bin/Release/net10.0/elmo.dll" bench --imdb "$work/imdb" --options-file "$work/$arch/options.json" \
        --weight-file "$work/$arch/weights.hdf5" --token-cache 0 --n "$n" --threads "$threads" $mode | tail -n 1 | grep -o '"tokens_per_second":[0-9.]*' | cut -d: -f2)
      echo "round $round $side ${mode:-bucketed}: $rate tokens/s"
    done
  done
done
