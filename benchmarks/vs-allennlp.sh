#!/usr/bin/env bash
# ElmoKeras against AllenNLP's Elmo, side by side on this machine: same random weights (written by
# the peer's make_weights.py), same IMDB test reviews (first 150 tokens), batch 32, 2 threads,
# interleaved rounds, best of each side. Prints a Markdown table (and keeps the raw JSON lines).
#
#   bash benchmarks/vs-allennlp.sh                 # 2 rounds, 256 reviews, both architectures
#   ROUNDS=3 N=512 ARCHS="small" bash benchmarks/vs-allennlp.sh
#   BF16=1 ARCHS=original bash benchmarks/vs-allennlp.sh   # adds ElmoKeras with --bf16 (for CPUs with bf16 instructions)
#
# Needs ../shared (the IMDB archive and tools/peer); the peer installs Debian's python3-torch when
# missing. Takes about 15 minutes for 2 rounds of both architectures on 2 cores. A benchmark: it
# measures and asserts nothing. Keep the machine otherwise idle while it runs.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
shared=${SHARED:-$root/../shared}
peer=$shared/tools/peer/peer-bench.sh
archive=$shared/data/aclImdb_v1.tar.gz
rounds=${ROUNDS:-2}
n=${N:-256}
archs=${ARCHS:-small original}
threads=${THREADS:-2}
bf16=${BF16:-0}
work=${WORK:-/tmp/elmo-vs-allennlp}
out=$work/results-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$work" "$out"

[ -f "$archive" ] || { echo "missing $archive" >&2; exit 1; }
bash scripts/install-prereqs.sh >&2
dotnet build samples/ElmoCli -c Release -v quiet -nologo >&2
elmo=(dotnet "$root/samples/ElmoCli/bin/Release/net10.0/elmo.dll")

# The bench reads an extracted folder; only test/ is needed.
imdb=$work/imdb
if [ ! -d "$imdb/aclImdb/test/neg" ]; then
  rm -rf "$imdb.tmp" && mkdir -p "$imdb.tmp"
  tar xzf "$archive" -C "$imdb.tmp" --wildcards 'aclImdb/test/pos/*' 'aclImdb/test/neg/*'
  rm -rf "$imdb" && mv "$imdb.tmp" "$imdb"
fi

for arch in $archs; do
  [ -f "$work/$arch/lm_weights.hdf5" ] || bash "$peer" weights "$arch" "$work/$arch" >&2
done

run() { # label arch command...: appends one JSON line tagged with label and arch
  local label=$1 arch=$2; shift 2
  local line
  line=$("$@" | tail -n 1)
  printf '{"label":"%s","arch":"%s","result":%s}\n' "$label" "$arch" "$line" | tee -a "$out/runs.jsonl" >&2
}

for round in $(seq 1 "$rounds"); do
  echo "round $round of $rounds" >&2
  run gemm - "${elmo[@]}" bench --gemm --threads "$threads"
  for arch in $archs; do
    w=(--options-file "$work/$arch/options.json" --weight-file "$work/$arch/lm_weights.hdf5")
    # Interleaved, and the order flips each round so neither side always runs first.
    if [ $((round % 2)) -eq 1 ]; then
      run elmokeras "$arch" "${elmo[@]}" bench --imdb "$imdb" "${w[@]}" --n "$n" --batch-size 32 --threads "$threads"
      [ "$bf16" = 1 ] && run elmokeras-bf16 "$arch" "${elmo[@]}" bench --imdb "$imdb" "${w[@]}" --n "$n" --batch-size 32 --threads "$threads" --bf16
      run elmokeras-nocache "$arch" "${elmo[@]}" bench --imdb "$imdb" "${w[@]}" --n "$n" --batch-size 32 --threads "$threads" --token-cache 0
      run allennlp "$arch" bash "$peer" run "$arch" "$work/$arch" --n "$n" --threads "$threads"
      run allennlp-nomkldnn "$arch" bash "$peer" run "$arch" "$work/$arch" --n "$n" --threads "$threads" --no-mkldnn
    else
      run allennlp-nomkldnn "$arch" bash "$peer" run "$arch" "$work/$arch" --n "$n" --threads "$threads" --no-mkldnn
      run allennlp "$arch" bash "$peer" run "$arch" "$work/$arch" --n "$n" --threads "$threads"
      run elmokeras-nocache "$arch" "${elmo[@]}" bench --imdb "$imdb" "${w[@]}" --n "$n" --batch-size 32 --threads "$threads" --token-cache 0
      [ "$bf16" = 1 ] && run elmokeras-bf16 "$arch" "${elmo[@]}" bench --imdb "$imdb" "${w[@]}" --n "$n" --batch-size 32 --threads "$threads" --bf16
      run elmokeras "$arch" "${elmo[@]}" bench --imdb "$imdb" "${w[@]}" --n "$n" --batch-size 32 --threads "$threads"
    fi
  done
done

/usr/bin/python3 - "$out/runs.jsonl" "$rounds" "$n" "$threads" <<'EOF' | tee "$out/table.md"
import json, sys, subprocess, datetime
path, rounds, n, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
runs = [json.loads(line) for line in open(path)]
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "unknown CPU")
flags = next((l for l in open("/proc/cpuinfo") if l.startswith("flags")), "")
bf16 = "avx512_bf16" in flags or "amx_bf16" in flags
gflops = max(r["result"]["gflops"] for r in runs if r["label"] == "gemm")
# Forward FLOPs per token, ../shared/docs/anchors.md (multiply-add = 2 FLOP).
flops_per_token = {"small": 44.4e6, "original": 204.3e6}
names = {"small": "small `2x1024_128_2048cnn_1xhighway`", "original": "original `2x4096_512_2048cnn_2xhighway`"}

def best(arch, labels, key):
    rows = [r["result"] for r in runs if r["arch"] == arch and r["label"] in labels]
    return max(rows, key=lambda x: x[key]) if rows else None

print(f"Measured {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC on {cpu} ({threads} threads, "
      f"bf16 instructions: {'yes' if bf16 else 'no'}); {rounds} interleaved rounds, {n} IMDB test reviews "
      f"(first 150 tokens), batch 32, best of each side. fp32 GEMM ceiling: {gflops:.1f} GFLOP/s (`elmo bench --gemm`).")
print()
print("| architecture | ElmoKeras (token cache on, default) | ElmoKeras, `--token-cache 0` | AllenNLP `Elmo` (oneDNN on / off, best) | ratio (cache on / off) | peak RSS ElmoKeras / AllenNLP | % of FLOP ceiling (ElmoKeras / AllenNLP) |")
print("|---|---|---|---|---|---|---|")
for arch in [a for a in ("small", "original") if any(r["arch"] == a for r in runs)]:
    ours = best(arch, {"elmokeras"}, "tokens_per_second")
    nocache = best(arch, {"elmokeras-nocache"}, "tokens_per_second")
    theirs = best(arch, {"allennlp", "allennlp-nomkldnn"}, "tokens_per_s")
    on = best(arch, {"allennlp"}, "tokens_per_s")
    off = best(arch, {"allennlp-nomkldnn"}, "tokens_per_s")
    ceiling = gflops * 1e9 / flops_per_token[arch]
    ours_rss = max(r["result"]["peak_rss_megabytes"] for r in runs if r["arch"] == arch and r["label"].startswith("elmokeras"))
    theirs_rss = max(r["result"]["max_rss_mib"] for r in runs if r["arch"] == arch and r["label"].startswith("allennlp"))
    hit = ours["token_cache_hit_rate"]
    print(f"| {names[arch]} | {ours['tokens_per_second']:,.0f} tok/s (cache hits {hit:.0%}) | {nocache['tokens_per_second']:,.0f} tok/s "
          f"| {theirs['tokens_per_s']:,.0f} tok/s ({on['tokens_per_s']:,.0f} / {off['tokens_per_s']:,.0f}) "
          f"| **{ours['tokens_per_second'] / theirs['tokens_per_s']:.2f}×** / {nocache['tokens_per_second'] / theirs['tokens_per_s']:.2f}× "
          f"| {ours_rss:,.0f} / {theirs_rss:,.0f} MB "
          f"| {100 * ours['tokens_per_second'] / ceiling:.0f}% / {100 * theirs['tokens_per_s'] / ceiling:.0f}% of {ceiling:,.0f} tok/s |")
for arch in [a for a in ("small", "original") if any(r["arch"] == a and r["label"] == "elmokeras-bf16" for r in runs)]:
    half = best(arch, {"elmokeras-bf16"}, "tokens_per_second")
    full = best(arch, {"elmokeras"}, "tokens_per_second")
    theirs = best(arch, {"allennlp", "allennlp-nomkldnn"}, "tokens_per_s")
    print()
    print(f"{names[arch]} with `--bf16` (token cache on): {half['tokens_per_second']:,.0f} tok/s, "
          f"**{half['tokens_per_second'] / theirs['tokens_per_s']:.2f}×** AllenNLP's best (float32) and "
          f"{half['tokens_per_second'] / full['tokens_per_second']:.2f}× ElmoKeras in float32.")
print()
print("Every run, in order:")
print()
for r in runs:
    x = r["result"]
    if r["label"] == "gemm": print(f"- gemm: {x['gflops']} GFLOP/s")
    elif r["label"].startswith("elmokeras"): print(f"- {r['arch']} {r['label']}: {x['tokens_per_second']:,.0f} tok/s, peak RSS {x['peak_rss_megabytes']:,.0f} MB")
    else: print(f"- {r['arch']} {r['label']}: {x['tokens_per_s']:,.0f} tok/s, peak RSS {x['max_rss_mib']:,.0f} MB")
EOF
echo "raw results: $out" >&2
