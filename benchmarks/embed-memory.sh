#!/usr/bin/env bash
# Peak resident memory of `elmo embed` against the number of input lines: the streaming embed should
# stay flat. Embeds IMDB test-review sentences (repeated to the size asked) with the repository's tiny
# fixture model, so the figures show the pipeline's own memory, not a big model's weights.
#
#   bash benchmarks/embed-memory.sh [LINES...]        (default: 20000 200000)
#   LAYOUTS=flat bash benchmarks/embed-memory.sh ...  (default: "flat per-sentence")
#   ELMO=/path/to/elmo bash benchmarks/embed-memory.sh ...  (a copied build, so the tree can be rebuilt meanwhile)
#
# Needs ../shared/data/aclImdb_v1.tar.gz (or IMDB_ARCHIVE=PATH) and a Release build of samples/ElmoCli.
# Prints one Markdown table row per run: layout, lines, tokens, seconds, peak RSS (MiB), output size.
set -euo pipefail
cd "$(dirname "$0")/.."
archive=${IMDB_ARCHIVE:-../shared/data/aclImdb_v1.tar.gz}
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(20000 200000)
elmo=${ELMO:-samples/ElmoCli/bin/Release/net10.0/elmo}
[ -x "$elmo" ] || dotnet build samples/ElmoCli -c Release -v quiet >/dev/null
fixture=tests/ElmoKeras.Tests/fixtures/elmo-allennlp
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

tar -xzOf "$archive" --wildcards 'aclImdb/test/*/*.txt' | sed 's/<br \/>/ /g' | tr '.!?' '\n\n\n' \
  | awk 'NF>=3 && NF<=25 {$1=$1; print}' > "$work/sentences.txt"

peak_kib() {
  # ru_maxrss of the child: its peak resident set, in KiB on Linux.
  python3 -c 'import resource, subprocess, sys
subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' "$@"
}

echo "| layout | lines | tokens | seconds | peak RSS (MiB) | output (MiB) |"
echo "| --- | ---: | ---: | ---: | ---: | ---: |"
for lines in "${sizes[@]}"; do
  input=$work/input-$lines.txt
  : > "$input"
  while [ "$(wc -l < "$input")" -lt "$lines" ]; do cat "$work/sentences.txt" >> "$input"; done
  head -n "$lines" "$input" > "$input.tmp" && mv "$input.tmp" "$input"
  tokens=$(wc -w < "$input")
  for layout in ${LAYOUTS:-flat per-sentence}; do
    # Another engineer's timing benchmark asks for a quiet machine this way.
    while [ -e /work/QUIET ]; do sleep 20; done
    output=$work/out-$layout-$lines.h5
    start=$(date +%s.%N)
    kib=$(peak_kib "$elmo" embed "$input" "$output" --top --layout "$layout" \
      --options-file "$fixture/options.json" --weight-file "$fixture/lm_weights.hdf5")
    seconds=$(echo "$(date +%s.%N) - $start" | bc)
    printf '| %s | %d | %d | %.0f | %.0f | %.1f |\n' "$layout" "$lines" "$tokens" "$seconds" "$(echo "$kib / 1024" | bc -l)" \
      "$(echo "$(stat -c %s "$output") / 1048576" | bc -l)"
    rm -f "$output"
  done
done
