#!/usr/bin/env bash
# Load test of `elmo serve` on loopback, next to the same model's offline `elmo bench` in the same run:
# 1, 8 and 32 concurrent clients sending IMDB test reviews (first 150 tokens, one review per request)
# for DURATION seconds each -> tokens/s, p50/p95/p99 latency, status and error counts; 1 client
# sending only reviews of 150 tokens or more (all cut to 150, so every request costs the same and
# "one review alone" is one number), next to the offline time of one such review; then an
# overload run (256 clients against a queue of 64 sentences) that must answer 429s, never time out
# or crash; resident memory of the server at start and after the runs. SOAK_MINUTES=10 adds a
# long run at 8 clients and reports the server's memory before and after it.
#
#   bash benchmarks/serve-load.sh                      # small architecture, 60 s per level
#   DURATION=20 bash benchmarks/serve-load.sh          # a quicker look
#   SOAK_MINUTES=10 bash benchmarks/serve-load.sh      # plus the 10-minute memory run
#   SERVE_ARGS="--max-wait-ms 20" bash benchmarks/serve-load.sh   # server options for the levels and the soak
#   LOAD_NICE=0 bash benchmarks/serve-load.sh           # the load generator at the server's priority (default nice 19)
#
# Random weights of ARCH (small | medium | original) are written once by `elmo random-model`. Both
# the offline bench and the server run with the token cache off (TOKEN_CACHE=0) by default, so that
# repeated reviews do not make either side look faster. A benchmark: it measures, prints a Markdown
# table and asserts only that the overload run saw no timeouts and the server stayed up.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
shared=${SHARED:-$root/../shared}
arch=${ARCH:-small}
duration=${DURATION:-60}
levels=${CLIENTS:-1 8 32}
threads=${THREADS:-2}
token_cache=${TOKEN_CACHE:-0}
overload_clients=${OVERLOAD_CLIENTS:-256}
overload_queue=${OVERLOAD_QUEUE:-64}
soak_minutes=${SOAK_MINUTES:-0}
read -r -a serve_args <<< "${SERVE_ARGS:-}"
n=${N:-2000}
bench_n=${BENCH_N:-512}
single_n=${SINGLE_N:-64}
work=${WORK:-/tmp/elmo-serve-load}
mkdir -p "$work"

bash scripts/install-prereqs.sh >&2
dotnet build samples/ElmoCli -c Release -v quiet -nologo >&2
dotnet build benchmarks/ServeLoad -c Release -v quiet -nologo >&2
elmo=(dotnet "$root/samples/ElmoCli/bin/Release/net10.0/elmo.dll")
# The load generator shares the server's cores here, which a real client does not: at nice 19 its
# wake-ups no longer pre-empt the model's OpenMP threads, each of which stalls the other at the next
# barrier (measured 2026-12-06: 32 clients gave 3,305 and 3,533 tokens/s at nice 0, 4,078 and 3,819
# at nice 19, interleaved; the generator itself used 1 CPU-second in 30). LOAD_NICE=0 measures it
# at the server's priority.
load=(nice -n "${LOAD_NICE:-19}" dotnet "$root/benchmarks/ServeLoad/bin/Release/net10.0/ServeLoad.dll")

imdb=$work/imdb
if [ ! -d "$imdb/aclImdb/test/neg" ]; then
  rm -rf "$imdb.tmp" && mkdir -p "$imdb.tmp"
  tar xzf "$shared/data/aclImdb_v1.tar.gz" -C "$imdb.tmp" --wildcards 'aclImdb/test/pos/*' 'aclImdb/test/neg/*'
  rm -rf "$imdb" && mv "$imdb.tmp" "$imdb"
fi
[ -f "$work/$arch/weights.hdf5" ] || "${elmo[@]}" random-model --arch "$arch" --output-dir "$work/$arch" >&2
w=(--options-file "$work/$arch/options.json" --weight-file "$work/$arch/weights.hdf5" --token-cache "$token_cache")

json() { /usr/bin/python3 -c 'import json, sys; r = json.loads(sys.argv[1]); print(eval(sys.argv[2], {}, {"r": r}))' "$1" "$2"; }
rss_mb() { awk '/^VmRSS:/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }

server_pid=
start_server() { # extra serve options...: starts the server, sets $url and $server_pid
  local log=$work/serve.log
  "${elmo[@]}" serve --port 0 --threads "$threads" "${w[@]}" "$@" >"$log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 600); do
    if grep -q 'ready on' "$log"; then break; fi
    kill -0 "$server_pid" 2>/dev/null || { cat "$log" >&2; echo "serve-load: the server died while starting" >&2; exit 1; }
    sleep 0.2
  done
  url=$(grep -o 'ready on http://[0-9.:]*' "$log" | head -n 1 | cut -d' ' -f3)
  [ -n "$url" ] || { cat "$log" >&2; exit 1; }
}
stop_server() {
  local pid=$server_pid
  kill -TERM "$pid"
  local code=0
  wait "$pid" || code=$?
  echo "serve-load: server stopped on SIGTERM with exit code $code" >&2
  [ "$code" -eq 0 ] || { echo "serve-load: expected exit code 0 after SIGTERM" >&2; exit 1; }
}
trap '[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true' EXIT

# The offline side runs before and after the server's levels, and the better run counts, so that a
# busy moment on either side of the comparison does not decide it.
offline_bench() {
  echo "serve-load: offline bench ($arch, $bench_n reviews; then $single_n reviews one at a time, and $single_n of 150 tokens)" >&2
  local batched single fixed
  batched=$("${elmo[@]}" bench --imdb "$imdb" "${w[@]}" --n "$bench_n" --threads "$threads" | tail -n 1)
  single=$("${elmo[@]}" bench --imdb "$imdb" "${w[@]}" --n "$single_n" --batch-size 1 --threads "$threads" | tail -n 1)
  fixed=$("${elmo[@]}" bench --imdb "$imdb" "${w[@]}" --n "$single_n" --batch-size 1 --min-tokens 150 --threads "$threads" | tail -n 1)
  echo "$batched" >&2
  echo "$single" >&2
  echo "$fixed" >&2
  bench_runs+=("$batched")
  single_runs+=("$single")
  fixed_runs+=("$fixed")
}
bench_runs=()
single_runs=()
fixed_runs=()
offline_bench

start_server "${serve_args[@]}"
rss_start=$(rss_mb "$server_pid")
results=()
for clients in $levels; do
  line=$("${load[@]}" "$url" --imdb "$imdb" --clients "$clients" --seconds "$duration" --n "$n")
  echo "$line" >&2
  results+=("$line")
done
# One client, every review 150 tokens: the latency target's like-for-like case.
fixed_level=$("${load[@]}" "$url" --imdb "$imdb" --clients 1 --seconds "$duration" --n "$n" --min-tokens 150)
echo "$fixed_level" >&2
rss_after=$(rss_mb "$server_pid")
batch_metrics=$(curl -s "$url/metrics" | awk '/^elmo_batch_size_(sum|count) / { print $1 "=" $2 }' | tr '\n' ' ')
stop_server

offline_bench
bench=$(printf '%s\n' "${bench_runs[@]}" | /usr/bin/python3 -c 'import json, sys; print(max(sys.stdin.read().split("\n")[:-1], key=lambda l: json.loads(l)["tokens_per_second"]))')
# The one-at-a-time run (a JSON line per argument) with the least time per sentence.
fastest_per_sentence() { printf '%s\n' "$@" | /usr/bin/python3 -c 'import json, sys; print(min(sys.stdin.read().split("\n")[:-1], key=lambda l: json.loads(l)["seconds"] / json.loads(l)["sentences"]))'; }
bench_single=$(fastest_per_sentence "${single_runs[@]}")
offline_tps=$(json "$bench" 'r["tokens_per_second"]')
single_ms=$(json "$bench_single" 'round(1000 * r["seconds"] / r["sentences"], 1)')
single_p99=$(json "$bench_single" 'r["batch_ms_p99"]')
bench_fixed=$(fastest_per_sentence "${fixed_runs[@]}")
fixed_ms=$(json "$bench_fixed" 'round(1000 * r["seconds"] / r["sentences"], 1)')
fixed_p99=$(json "$bench_fixed" 'r["batch_ms_p99"]')

echo "serve-load: overload: $overload_clients clients, --max-queue $overload_queue" >&2
start_server --max-queue "$overload_queue" --max-client-batch-size "$(( overload_queue < 32 ? overload_queue : 32 ))"
overload=$("${load[@]}" "$url" --imdb "$imdb" --clients "$overload_clients" --seconds "$(( duration / 2 > 10 ? duration / 2 : 10 ))" --n "$n" --timeout 30)
echo "$overload" >&2
health=$(curl -s -o /dev/null -w '%{http_code}' "$url/health")
stop_server

soak=
if [ "$soak_minutes" -gt 0 ]; then
  start_server "${serve_args[@]}"
  soak_start=$(rss_mb "$server_pid")
  # RSS every 20 s while the clients run: one reading at the end lands anywhere in the swing of a
  # batch's transient buffers (measured: 344-385 MB within a minute), so growth is read from the
  # mean of the first minute of traffic against the mean of the last.
  samples=$work/soak-rss.txt
  : > "$samples"
  ( while kill -0 "$server_pid" 2>/dev/null; do sleep 20; rss_mb "$server_pid" >> "$samples" 2>/dev/null && echo >> "$samples"; done ) &
  sampler=$!
  soak_line=$("${load[@]}" "$url" --imdb "$imdb" --clients 8 --seconds "$(( soak_minutes * 60 ))" --n "$n")
  soak_end=$(rss_mb "$server_pid")
  kill "$sampler" 2>/dev/null || true
  echo "$soak_line" >&2
  stop_server
  soak_rss=$(python3 -c "
import sys
s = [int(v) for v in open('$samples').read().split()]
first, last = s[:3], s[-3:]
print(f'{sum(first) / len(first):.0f} (first minute) -> {sum(last) / len(last):.0f} MB (last minute), {min(s)}-{max(s)} MB over {len(s)} readings')" 2>/dev/null || echo "no readings")
  soak="| soak: 8 clients for $soak_minutes min | $(json "$soak_line" 'format(round(r["tokens_per_second"]), ",")') | | $(json "$soak_line" 'r["p50_ms"]') / $(json "$soak_line" 'r["p95_ms"]') / $(json "$soak_line" 'r["p99_ms"]') | $(json "$soak_line" 'r["statuses"]') | $(json "$soak_line" 'r["timeouts"] + r["transport_errors"]') | $soak_start before traffic, $soak_end at the end; $soak_rss |"
fi

cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
echo
echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') on $cpu ($(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end), $arch architecture, --threads $threads, token cache $token_cache, $duration s per level, server options: ${SERVE_ARGS:-defaults}."
echo "Offline \`elmo bench\` ($bench_n reviews, token budget 8,192; the better of the runs before and after the levels): $(json "$bench" 'format(round(r["tokens_per_second"]), ",")') tokens/s (runs: $(for r in "${bench_runs[@]}"; do json "$r" 'round(r["tokens_per_second"])'; done | tr '\n' ' ')); one review alone (batch 1): $single_ms ms on average, p99 $single_p99 ms; one 150-token review alone: $fixed_ms ms on average, p99 $fixed_p99 ms."
echo
echo "| clients | tokens/s | % of offline bench | latency p50 / p95 / p99 (ms) | statuses | timeouts + transport errors | server RSS |"
echo "|---|---|---|---|---|---|---|"
first=1
for line in "${results[@]}"; do
  rss=""; [ $first -eq 1 ] && rss="$rss_start MB at start"; first=0
  echo "| $(json "$line" 'r["clients"]') | $(json "$line" 'format(round(r["tokens_per_second"]), ",")') | $(json "$line" "round(100 * r['tokens_per_second'] / $offline_tps)")% | $(json "$line" 'r["p50_ms"]') / $(json "$line" 'r["p95_ms"]') / $(json "$line" 'r["p99_ms"]') | $(json "$line" 'r["statuses"]') | $(json "$line" 'r["timeouts"] + r["transport_errors"]') | $rss |"
done
echo "| 1, reviews of 150 tokens | $(json "$fixed_level" 'format(round(r["tokens_per_second"]), ",")') | | $(json "$fixed_level" 'r["p50_ms"]') / $(json "$fixed_level" 'r["p95_ms"]') / $(json "$fixed_level" 'r["p99_ms"]') | $(json "$fixed_level" 'r["statuses"]') | $(json "$fixed_level" 'r["timeouts"] + r["transport_errors"]') | |"
echo "| overload: $overload_clients clients, queue $overload_queue | $(json "$overload" 'format(round(r["tokens_per_second"]), ",")') | $(json "$overload" "round(100 * r['tokens_per_second'] / $offline_tps)")% | $(json "$overload" 'r["p50_ms"]') / $(json "$overload" 'r["p95_ms"]') / $(json "$overload" 'r["p99_ms"]') | $(json "$overload" 'r["statuses"]') | $(json "$overload" 'r["timeouts"] + r["transport_errors"]') | $rss_after MB after the levels |"
[ -n "$soak" ] && echo "$soak"
echo
echo "Batches during the levels: $batch_metrics; /health after the overload run: $health."
if [ "$(json "${results[0]}" 'r["clients"]')" = 1 ]; then
  echo "p99 at 1 client / one review alone: $(json "${results[0]}" "round(r['p99_ms'] / $single_ms, 2)")x (against the offline p99 of one review: $(json "${results[0]}" "round(r['p99_ms'] / $single_p99, 2)")x)."
fi
echo "p99 at 1 client, 150-token reviews / one 150-token review alone: $(json "$fixed_level" "round(r['p99_ms'] / $fixed_ms, 2)")x (against its offline p99: $(json "$fixed_level" "round(r['p99_ms'] / $fixed_p99, 2)")x)."

overload_errors=$(json "$overload" 'r["timeouts"] + r["transport_errors"]')
[ "$overload_errors" -eq 0 ] && [ "$health" = 200 ] || { echo "serve-load: the overload run saw $overload_errors timeouts/transport errors, /health $health" >&2; exit 1; }
