#!/usr/bin/env bash
# How the token budget per batch (--max-batch-tokens) moves ELMo's throughput and peak memory, next to
# batching 32 reviews at a time: the measurement behind the default budget (docs/performance.md).
#
#   bash benchmarks/batch-budget.sh                       # original architecture, 256 reviews
#   ARCH=small BUDGETS="4096 8192 16384" bash benchmarks/batch-budget.sh
#
# Uses the same random weights and extracted reviews as benchmarks/vs-allennlp.sh (made when
# missing). A benchmark: it measures and asserts nothing. Keep the machine otherwise idle.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
shared=${SHARED:-$root/../shared}
arch=${ARCH:-original}
n=${N:-256}
budgets=${BUDGETS:-4096 8192 16384 32768}
work=${WORK:-/tmp/elmo-vs-allennlp}
mkdir -p "$work"
bash scripts/install-prereqs.sh >&2
dotnet build samples/ElmoCli -c Release -v quiet -nologo >&2
elmo=(dotnet "$root/samples/ElmoCli/bin/Release/net10.0/elmo.dll")
if [ ! -d "$work/imdb/aclImdb/test/neg" ]; then
  rm -rf "$work/imdb.tmp" && mkdir -p "$work/imdb.tmp"
  tar xzf "$shared/data/aclImdb_v1.tar.gz" -C "$work/imdb.tmp" --wildcards 'aclImdb/test/pos/*' 'aclImdb/test/neg/*'
  rm -rf "$work/imdb" && mv "$work/imdb.tmp" "$work/imdb"
fi
[ -f "$work/$arch/lm_weights.hdf5" ] || bash "$shared/tools/peer/peer-bench.sh" weights "$arch" "$work/$arch" >&2
w=(--options-file "$work/$arch/options.json" --weight-file "$work/$arch/lm_weights.hdf5")

echo "| batching ($arch, $n reviews) | batches | tokens/s | peak RSS |"
echo "|---|---|---|---|"
for b in "--batch-size 32" $(for x in $budgets; do echo "--max-batch-tokens=$x"; done); do
  line=$("${elmo[@]}" bench --imdb "$work/imdb" "${w[@]}" --n "$n" $b | tail -n 1)
  /usr/bin/python3 -c 'import json, sys
r = json.loads(sys.argv[1])
print("| `%s` | %d | %s | %s MB |" % (sys.argv[2], r["batches"], format(round(r["tokens_per_second"]), ","), format(round(r["peak_rss_megabytes"]), ",")))' "$line" "$b"
done
