#!/usr/bin/env bash
# How large a bi-LM's vectors are: root mean square, mean |x| and largest |x| of each layer's token
# vectors over the first 150 words of N IMDB test reviews (default 100), read back from `elmo embed
# --all`. docs/quality.md compares them with a new word embedding's (Keras's uniform ±0.05: RMS 0.029)
# to choose `elmo sentiment --elmo-gamma`.
#
#   bash benchmarks/elmo-scale.sh MODEL_DIR [MODEL_DIR ...]     # folders with options.json and one .hdf5
#
# Needs h5dump (hdf5-tools) and python3. A measurement: it asserts nothing.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
data=${IMDB_ARCHIVE:-$root/../shared/data/aclImdb_v1.tar.gz}
n=${N:-100}
[ $# -ge 1 ] || { echo "usage: $0 MODEL_DIR [MODEL_DIR ...]" >&2; exit 2; }
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
dotnet build "$root/samples/ElmoCli" -c Release -v quiet -nologo >&2
tar -xzf "$data" -C "$work" --wildcards 'aclImdb/test/pos/*.txt'
mapfile -t files < <(find "$work/aclImdb/test/pos" -name '*.txt' | sort)
for f in "${files[@]:0:n}"; do
  line=$(sed 's/<br \/>/ /g' "$f" | tr '\n\t' '  ' | tr -s ' ' | sed 's/^ //' | cut -d' ' -f1-150)
  [ -z "${line// }" ] || printf '%s\n' "$line"
done > "$work/reviews.txt"
for model in "$@"; do
  rm -f "$work/out.h5"
  dotnet "$root/samples/ElmoCli/bin/Release/net10.0/elmo.dll" embed "$work/reviews.txt" "$work/out.h5" --all --layout flat --elmo "$model" >&2
  h5dump -d /embeddings -b LE -o "$work/out.bin" "$work/out.h5" >/dev/null
  shape=$(h5dump -H -d /embeddings "$work/out.h5" | grep -o 'SIMPLE { ( [0-9, ]* )' | grep -o '[0-9][0-9, ]*')
  python3 - "$model" "$work/out.bin" "$shape" <<'PY'
import array, math, sys
model, path, shape = sys.argv[1], sys.argv[2], [int(x) for x in sys.argv[3].split(",")]
tokens, layers, width = shape
a = array.array("f"); a.frombytes(open(path, "rb").read())
for l in range(layers):
    values = [v for t in range(tokens) for v in a[(t * layers + l) * width:(t * layers + l + 1) * width]]
    rms = math.sqrt(sum(v * v for v in values) / len(values))
    print(f"{model}: layer {l}: {tokens} tokens, RMS {rms:.3f}, mean |x| {sum(abs(v) for v in values) / len(values):.3f}, max |x| {max(abs(v) for v in values):.2f}")
PY
done
