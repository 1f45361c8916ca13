#!/usr/bin/env bash
# Runs every shell command of README.md as written, from the repository root, except the test
# command (CI runs that itself, right after). The README's C# blocks are compiled against the
# NuGet package by scripts/check-package.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t commands < <(python3 scripts/readme_blocks.py bash README.md | grep -vx 'bash scripts/test.sh' | sort -u)
[ ${#commands[@]} -gt 0 ] || { echo "check-readme: README.md has no commands?" >&2; exit 1; }
for command in "${commands[@]}"; do
  echo "check-readme: $command"
  bash -c "$command"
done
[ -s embeddings.hdf5 ] || { echo "check-readme: the quick start wrote no embeddings.hdf5" >&2; exit 1; }
[ -s sentiment-output/training.png ] || { echo "check-readme: elmo sentiment wrote no plot" >&2; exit 1; }
rm -rf embeddings.hdf5 sentiment-output
echo "check-readme: ${#commands[@]} README commands ran as written."
