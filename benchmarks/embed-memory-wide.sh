#!/usr/bin/env bash
# Peak resident memory of `elmo embed --all --layout flat` with a wider random model (the fixture's
# architecture with LSTM dim and projection 256: 3 x 512 floats per token), on the first IMDB
# sentences of 3-25 words (train and test, not repeated).
#
#   bash benchmarks/embed-memory-wide.sh [LINES...]     (default: 100 1000 10000 30000)
#   ELMO=/path/to/elmo bash benchmarks/embed-memory-wide.sh ...
#
# Needs ../shared/data/aclImdb_v1.tar.gz (or IMDB_ARCHIVE=PATH), python3, and a Release build of
# samples/ElmoCli. Output files are ~80 KB per line; they go to a temporary folder and are deleted.
# Prints one Markdown table row per size: lines, tokens, seconds, peak RSS (MiB), output (MiB).
set -euo pipefail
cd "$(dirname "$0")/.."
archive=${IMDB_ARCHIVE:-../shared/data/aclImdb_v1.tar.gz}
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(100 1000 10000 30000)
elmo=${ELMO:-samples/ElmoCli/bin/Release/net10.0/elmo}
[ -x "$elmo" ] || dotnet build samples/ElmoCli -c Release -v quiet >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 - tests/ElmoKeras.Tests/fixtures/elmo-allennlp/options.json "$work/wide.json" <<'PY'
import json, sys
options = json.load(open(sys.argv[1]))
options["lstm"]["dim"] = options["lstm"]["projection_dim"] = 256
json.dump(options, open(sys.argv[2], "w"))
PY
"$elmo" random-model --options-file "$work/wide.json" --output-dir "$work/model" >/dev/null

largest=$(printf '%s\n' "${sizes[@]}" | sort -n | tail -1)
tar -xzOf "$archive" --wildcards 'aclImdb/*/*/*.txt' | sed 's/<br \/>/ /g' | tr '.!?' '\n\n\n' \
  | awk 'NF>=3 && NF<=25 {$1=$1; print}' | head -n "$largest" > "$work/sentences.txt"

echo "| lines | tokens | seconds | peak RSS (MiB) | output (MiB) |"
echo "| ---: | ---: | ---: | ---: | ---: |"
for lines in "${sizes[@]}"; do
  head -n "$lines" "$work/sentences.txt" > "$work/input.txt"
  output=$work/out.h5
  start=$(date +%s.%N)
  kib=$(python3 -c 'import resource, subprocess, sys
subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' "$elmo" embed "$work/input.txt" "$output" --all --layout flat \
    --options-file "$work/model/options.json" --weight-file "$work/model/weights.hdf5")
  seconds=$(echo "$(date +%s.%N) - $start" | bc)
  printf '| %d | %d | %.0f | %.0f | %.0f |\n' "$lines" "$(wc -w < "$work/input.txt")" "$seconds" \
    "$(echo "$kib / 1024" | bc -l)" "$(echo "$(stat -c %s "$output") / 1048576" | bc -l)"
  rm -f "$output"
done
