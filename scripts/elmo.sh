#!/usr/bin/env bash
# Runs the `elmo` command-line tool from source (builds it when needed). Paths are relative to
# the directory you run it from. Installs the native prerequisite first (a no-op when present).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/install-prereqs.sh" >&2
exec dotnet run --project "$root/samples/ElmoCli" -c Release -v quiet -- "$@"
