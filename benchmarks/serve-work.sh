# Sourced by the benchmarks that reuse what benchmarks/serve-load.sh prepared: sets work (WORK: the
# random-weight model and the extracted IMDB test reviews), arch (ARCH) and threads (THREADS), stops
# with a message when that preparation has not been done, and builds the CLI.
work=${WORK:-/tmp/elmo-serve-load}
arch=${ARCH:-small}
threads=${THREADS:-2}
[ -f "$work/$arch/weights.hdf5" ] && [ -d "$work/imdb/aclImdb" ] ||
  { echo "$(basename "$0" .sh): run benchmarks/serve-load.sh first (it prepares $work)" >&2; exit 1; }
dotnet build samples/ElmoCli -c Release -v quiet -nologo >&2
