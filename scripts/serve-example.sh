#!/usr/bin/env bash
# The README's `elmo serve` example, run as written but on a free port: starts the server with the
# repository's small test model, waits until it is ready, sends the README's requests, and stops it
# with SIGTERM (it must exit 0). scripts/check-readme.sh runs it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-prereqs.sh >&2
dotnet build samples/ElmoCli -c Release -v quiet -nologo >&2
log=$(mktemp)
dotnet samples/ElmoCli/bin/Release/net10.0/elmo.dll serve --port 0 \
  --options-file tests/ElmoKeras.Tests/fixtures/elmo-allennlp/options.json \
  --weight-file tests/ElmoKeras.Tests/fixtures/elmo-allennlp/lm_weights.hdf5 >"$log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 1 300); do grep -q 'ready on' "$log" && break; kill -0 "$pid" || { cat "$log" >&2; exit 1; }; sleep 0.2; done
url=$(grep -o 'ready on http://[0-9.:]*' "$log" | cut -d' ' -f3)
[ -n "$url" ] || { cat "$log" >&2; exit 1; }
set -x
curl -sf "$url/health"
curl -sf "$url/embed" -d '{"inputs": ["The cat sat on the mat .", "Hello"]}' | cut -c1-300
curl -sf "$url/v1/embeddings" -d '{"input": "The cat sat on the mat ."}' | cut -c1-300
status=$(curl -s -o /dev/null -w '%{http_code}' "$url/embed" -d '{"inputs": []}')
[ "$status" = 422 ]
set +x
kill -TERM "$pid"
code=0; wait "$pid" || code=$?
[ "$code" -eq 0 ] || { echo "serve-example: exit code $code after SIGTERM" >&2; cat "$log" >&2; exit 1; }
echo "serve-example: served, refused an empty request with 422, and stopped cleanly."
