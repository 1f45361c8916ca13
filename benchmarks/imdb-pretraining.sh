#!/usr/bin/env bash
# Reproduces the table in docs/pretraining.md on this machine's CPUs: pretrains a mid-sized ELMo on
# IMDB's 50,000 unlabelled reviews, then trains the recipe's classifier on the full IMDB train set and
# scores it on the full test set (first 150 words) with (a) a random bi-LM of the same size, (b) the
# pretrained one frozen, (c) the pretrained one fine-tuned, and (d) the bag-of-words baseline.
#
#   bash benchmarks/imdb-pretraining.sh [WORK_DIR] [PRETRAIN_STEPS] [FINE_TUNE_REVIEWS]
#
# Defaults: WORK_DIR=imdb-pretraining, 3484 steps (what 50 minutes gave in docs/pretraining.md),
# 5000 reviews. Takes about 2.5 hours on 2 cores.
# Every step writes a JSON report into WORK_DIR; an interrupted pretraining continues with
# `elmo pretrain ... --resume`.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mkdir -p "${1:-imdb-pretraining}" && cd "${1:-imdb-pretraining}" && pwd)
steps=${2:-3484}
fine_tune=${3:-5000}
data=${IMDB_ARCHIVE:-$root/../shared/data/aclImdb_v1.tar.gz}
bash "$root/scripts/install-prereqs.sh" >&2
dotnet build "$root/samples/ElmoCli" -c Release -v quiet >&2
elmo() { dotnet "$root/samples/ElmoCli/bin/Release/net10.0/elmo.dll" "$@"; }

cat > "$work/mid.json" <<'JSON'
{"lstm": {"dim": 512, "projection_dim": 128, "n_layers": 2, "cell_clip": 3, "proj_clip": 3, "use_skip_connections": true},
 "char_cnn": {"embedding": {"dim": 16}, "filters": [[1, 32], [2, 32], [3, 64], [4, 128], [5, 256]], "n_highway": 1,
              "n_characters": 262, "max_characters_per_token": 50, "activation": "relu"}}
JSON

# Pretraining: 10,000-word vocabulary (exact softmax), no dropout (far less than one pass: underfitting).
elmo pretrain --corpus "$data" --output-dir "$work/imdb-elmo" --options-file "$work/mid.json" --steps "$steps" \
  --batch-size 32 --unroll-steps 20 --vocab-size 10000 --softmax-samples 10000 --dropout 0 --learning-rate 0.5 --threads 2
elmo random-model --options-file "$work/mid.json" --output-dir "$work/imdb-random"

common=(--data "$data" --max-words 150 --epochs 5 --batch-size 32 --batch-norm)
elmo sentiment "${common[@]}" --elmo "$work/imdb-random" --output-dir "$work/a-random"
elmo sentiment "${common[@]}" --elmo "$work/imdb-elmo" --output-dir "$work/b-pretrained"
# Fine-tuning runs the bi-LM forward and backward on every review: a subset, one epoch, the full test set.
elmo sentiment --data "$data" --max-words 150 --epochs 1 --batch-size 32 --batch-norm --trainable all \
  --limit "$fine_tune" --test-limit 25000 --elmo "$work/imdb-elmo" --output-dir "$work/c-fine-tuned"
elmo baseline --data "$data" --max-words 150 --output-dir "$work/d-bag-of-words"
# Fine-tuning without BatchNormalization, whose moving statistics lag behind a bi-LM that changes (row c' of the table).
elmo sentiment --data "$data" --max-words 150 --epochs 1 --batch-size 32 --trainable all \
  --limit 2000 --test-limit 25000 --elmo "$work/imdb-elmo" --output-dir "$work/c-plain"

for report in "$work"/{a-random,b-pretrained,c-fine-tuned,c-plain}/history.json "$work"/d-bag-of-words/history.json; do
  echo "$report"; grep -E '"(accuracy|testAccuracy)"' "$report" | tail -1
done
