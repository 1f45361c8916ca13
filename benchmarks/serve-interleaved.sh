#!/usr/bin/env bash
# The 32-client throughput of `elmo serve` against the offline `elmo bench` of the same model,
# interleaved on one machine: ROUNDS rounds of (offline bench, then CLIENTS clients for DURATION
# seconds against a running server); prints each round's pair and the best of each side. This VM's
# speed moves by 20-40% within minutes, so a ratio of one level to a bench run minutes away (as in
# serve-load.sh) cannot resolve a few points; rounds side by side can.
#
#   bash benchmarks/serve-interleaved.sh     # ROUNDS=4 CLIENTS=32 DURATION=30 ARCH=small THREADS=2 LOAD_NICE=19
#   TOKEN_CACHE=32768 BENCH_N=2000 bash benchmarks/serve-interleaved.sh   # both sides with the token cache (the default)
#
# TOKEN_CACHE (default 0: off) is the token cache of both sides. With the cache on, every round starts
# a fresh server, so that both sides start cold and see the reviews in the same order (the offline
# bench BENCH_N of them, the clients as many as they get through, from the same list): a server
# kept from the round before would find the reviews' tokens already cached. Uses the model and
# reviews that benchmarks/serve-load.sh prepares in WORK. A benchmark: it asserts nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
source benchmarks/serve-work.sh
rounds=${ROUNDS:-4}
clients=${CLIENTS:-32}
duration=${DURATION:-30}
token_cache=${TOKEN_CACHE:-0}
bench_n=${BENCH_N:-512}
dotnet build benchmarks/ServeLoad -c Release -v quiet -nologo >&2
elmo=(dotnet samples/ElmoCli/bin/Release/net10.0/elmo.dll)
load=(nice -n "${LOAD_NICE:-19}" dotnet benchmarks/ServeLoad/bin/Release/net10.0/ServeLoad.dll)
w=(--options-file "$work/$arch/options.json" --weight-file "$work/$arch/weights.hdf5" --token-cache "$token_cache")
log=$work/serve-interleaved.log
pid=
start_server() {
  "${elmo[@]}" serve --port 0 --threads "$threads" "${w[@]}" > "$log" 2>&1 &
  pid=$!
  for _ in $(seq 1 600); do grep -q 'ready on' "$log" && break; kill -0 "$pid" || { cat "$log" >&2; exit 1; }; sleep 0.2; done
  url=$(grep -o 'ready on http://[0-9.:]*' "$log" | head -n 1 | cut -d' ' -f3)
}
stop_server() { kill -TERM "$pid"; wait "$pid" || true; pid=; }
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null || true' EXIT
rate() { grep -o '"tokens_per_second":[0-9.]*' | head -n 1 | cut -d: -f2; }
offline=(); served=()
[ "$token_cache" -eq 0 ] && start_server
for round in $(seq 1 "$rounds"); do
  o=$("${elmo[@]}" bench --imdb "$work/imdb" "${w[@]}" --n "$bench_n" --threads "$threads" | tail -n 1 | rate)
  [ "$token_cache" -eq 0 ] || start_server
  s=$("${load[@]}" "$url" --imdb "$work/imdb" --clients "$clients" --seconds "$duration" --n 2000 | rate)
  [ "$token_cache" -eq 0 ] || stop_server
  offline+=("$o"); served+=("$s")
  echo "round $round: offline $o tokens/s, $clients clients $s tokens/s ($(python3 -c "print(round(100 * $s / $o))")%)"
done
[ -n "$pid" ] && stop_server
trap - EXIT
best_o=$(printf '%s\n' "${offline[@]}" | sort -g | tail -n 1)
best_s=$(printf '%s\n' "${served[@]}" | sort -g | tail -n 1)
echo "best of each: offline $best_o, $clients clients $best_s tokens/s: $(python3 -c "print(round(100 * $best_s / $best_o))")% ($(date -u '+%Y-%m-%d %H:%M UTC'), $arch, --threads $threads, $duration s per level, token cache $token_cache, offline bench of $bench_n reviews)"
