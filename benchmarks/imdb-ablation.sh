#!/usr/bin/env bash
# What ELMo adds on IMDB (first 150 words): the ELMo paper's task model (ELMo vectors with dropout
# joined to trained word embeddings -> BiLSTM -> max over steps) against its ablations, the bag of
# words, and the recipe's pooled head. Every row is an `elmo` command; each writes history.json
# (per-epoch training loss/accuracy, test loss/accuracy, epoch times) under WORK/ROW, and the
# script prints a Markdown table at the end (docs/quality.md).
#
#   bash benchmarks/imdb-ablation.sh [WORK]        # full IMDB: 25,000 training and 25,000 test reviews
#   LIMIT=3000 PRETRAIN_MINUTES=20 bash benchmarks/imdb-ablation.sh   # what fits in an hour on 2 cores
#
# Settings: LIMIT (training and test reviews each; default all), EPOCHS (BiLSTM rows, default 3),
# PRETRAIN_MINUTES (bi-LM pretraining on the 50,000 unlabelled reviews in this call; a second call
# resumes the checkpoint and trains on), SEED (0), IMDB_ARCHIVE, ROWS (space-separated row names to
# run again; default all). A benchmark: it measures, asserts nothing.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mkdir -p "${1:-imdb-ablation}" && cd "${1:-imdb-ablation}" && pwd)
data=${IMDB_ARCHIVE:-$root/../shared/data/aclImdb_v1.tar.gz}
limit=${LIMIT:-}
epochs=${EPOCHS:-3}
pretrain_minutes=${PRETRAIN_MINUTES:-50}
seed=${SEED:-0}
only=${ROWS:-all}
bash "$root/scripts/install-prereqs.sh" >&2
dotnet build "$root/samples/ElmoCli" -c Release -v quiet -nologo >&2
elmo() { dotnet "$root/samples/ElmoCli/bin/Release/net10.0/elmo.dll" "$@"; }
sizes=(); [ -n "$limit" ] && sizes=(--limit "$limit")

# The bi-LM of docs/pretraining.md: LSTM 512 cells, projection 128, 2 layers; 5-filter character CNN.
cat > "$work/mid.json" <<'JSON'
{"lstm": {"dim": 512, "projection_dim": 128, "n_layers": 2, "cell_clip": 3, "proj_clip": 3, "use_skip_connections": true},
 "char_cnn": {"embedding": {"dim": 16}, "filters": [[1, 32], [2, 32], [3, 64], [4, 128], [5, 256]], "n_highway": 1,
              "n_characters": 262, "max_characters_per_token": 50, "activation": "relu"}}
JSON
[ -f "$work/imdb-random/options.json" ] || elmo random-model --options-file "$work/mid.json" --output-dir "$work/imdb-random" >&2

row() {
  local name=$1; shift
  [ "$only" = all ] || [[ " $only " == *" $name "* ]] || return 0
  local start=$SECONDS
  echo "imdb-ablation: $name: elmo $*" >&2
  elmo "$@" --output-dir "$work/$name" > "$work/$name.log" 2>&1 || { echo "imdb-ablation: $name failed, see $work/$name.log" >&2; return 0; }
  echo "$name $((SECONDS - start))" >> "$work/times.txt"
}
[ "$only" != all ] || : > "$work/times.txt"
recipe=(sentiment --data "$data" --max-words 150 --batch-size 32 --seed "$seed")
sentiment=("${recipe[@]}" "${sizes[@]}")
bilstm=("${sentiment[@]}" --output bilstm --epochs "$epochs")

# What the per-token cache saves: the same frozen model, 2 epochs on 1,000 + 1,000 reviews, cached and not.
row cache-cost-cached "${recipe[@]}" --output bilstm --epochs 2 --limit 1000 --elmo "$work/imdb-random"
row cache-cost-uncached "${recipe[@]}" --output bilstm --epochs 2 --limit 1000 --elmo "$work/imdb-random" --no-cache
# The head alone (word vectors, no ELMo), and the same pair with the small published architecture (random weights).
row cache-cost-words "${recipe[@]}" --output bilstm --epochs 2 --limit 1000 --no-elmo
[ -f "$work/small-random/options.json" ] || elmo random-model --arch small --output-dir "$work/small-random" >&2
row cache-cost-small-cached "${recipe[@]}" --output bilstm --epochs 2 --limit 1000 --elmo "$work/small-random"
row cache-cost-small-uncached "${recipe[@]}" --output bilstm --epochs 2 --limit 1000 --elmo "$work/small-random" --no-cache

row bag-of-words baseline --data "$data" --max-words 150 --seed "$seed" "${sizes[@]}"
row words-bilstm "${bilstm[@]}" --no-elmo
row random-elmo-words-bilstm "${bilstm[@]}" --elmo "$work/imdb-random" --feature-storage float16

resume=(); [ -d "$work/pretraining/checkpoint" ] && resume=(--resume)
row pretraining pretrain --corpus "$data" --options-file "$work/mid.json" --minutes "$pretrain_minutes" --batch-size 32 --unroll-steps 20 \
  --vocab-size 10000 --softmax-samples 10000 --dropout 0 --learning-rate 0.5 --threads 2 "${resume[@]}"

row pretrained-elmo-words-bilstm "${bilstm[@]}" --elmo "$work/pretraining" --feature-storage float16
# Fine-tuning, three ways with the same number of epochs (EPOCHS + 1), so that only the treatment of the bi-LM differs:
# frozen throughout (float32 cache);
row pretrained-elmo-words-bilstm-frozen-longer "${sentiment[@]}" --output bilstm --epochs $((epochs + 1)) --elmo "$work/pretraining"
# the head first on the frozen (cached) bi-LM, then one epoch with the bi-LM at a tenth of the rate;
row pretrained-elmo-words-bilstm-finetuned "${sentiment[@]}" --output bilstm --epochs $((epochs + 1)) --frozen-epochs "$epochs" \
  --trainable all --bilm-learning-rate-scale 0.1 --elmo "$work/pretraining"
# fine-tuning as it was: bi-LM and head together from the start, one rate for all.
row pretrained-elmo-words-bilstm-finetuned-naive "${sentiment[@]}" --output bilstm --epochs $((epochs + 1)) --trainable all --elmo "$work/pretraining"
# The pretrained bi-LM's vectors start about 35 times larger (RMS about 1) than the word embedding's (RMS 0.03), and the
# BiLSTM then learns slowly (docs/quality.md): the scalar mix's γ, started at 0.03, matches them, alone and after the
# ELMo paper's per-layer normalisation; then the staged and the naive fine-tuning with it.
row pretrained-elmo-words-bilstm-gamma "${sentiment[@]}" --output bilstm --epochs $((epochs + 1)) --elmo-gamma 0.03 --elmo "$work/pretraining"
row pretrained-elmo-words-bilstm-layernorm-gamma "${sentiment[@]}" --output bilstm --epochs $((epochs + 1)) --elmo-layer-norm --elmo-gamma 0.03 \
  --elmo "$work/pretraining"
row pretrained-elmo-words-bilstm-gamma-finetuned "${sentiment[@]}" --output bilstm --epochs $((epochs + 1)) --frozen-epochs "$epochs" \
  --trainable all --bilm-learning-rate-scale 0.1 --elmo-gamma 0.03 --elmo "$work/pretraining"
row pretrained-elmo-words-bilstm-gamma-finetuned-naive "${sentiment[@]}" --output bilstm --epochs $((epochs + 1)) --trainable all \
  --elmo-gamma 0.03 --elmo "$work/pretraining"
row pooled-recipe "${sentiment[@]}" --epochs 5 --batch-norm --elmo "$work/pretraining"

python3 - "$work" <<'PY'
import json, os, sys
work = sys.argv[1]
times = dict(line.split() for line in open(os.path.join(work, "times.txt")))  # a row run again keeps its latest time
print("| row | test accuracy | training accuracy by epoch | epoch seconds | total time |")
print("|---|---|---|---|---|")
for name, seconds in times.items():
    path = os.path.join(work, name, "history.json")
    if not os.path.exists(path):
        if name == "pretraining":
            p = json.load(open(os.path.join(work, name, "pretrain.json")))
            print(f"| pretraining: {p.get('tokens')} tokens, {p.get('tokensPerSecond')} tokens/s | held-out perplexity {p.get('heldOutPerplexity'):.0f} (unigram {p.get('unigramPerplexity'):.0f}) | | | {int(seconds)//60} min |")
        continue
    h = json.load(open(path))
    test = (h.get("test") or {}).get("accuracy", h.get("testAccuracy", float("nan")))
    train = h["history"].get("accuracy") or h["history"].get("binary_accuracy") or []
    print(f"| {name} | {test:.4f} | {' / '.join(f'{a:.3f}' for a in train)} | {' / '.join(str(s) for s in h.get('epochSeconds', []))} | {int(seconds)//60} min {int(seconds)%60} s |")
PY
