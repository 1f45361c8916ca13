#!/usr/bin/env bash
# Stops what start-local-slurm.sh started, and only that: the processes named by the pid files in its
# state folder (a munged it found already running has no pid file there and is left alone).
#   bash scripts/slurm/stop-local-slurm.sh [STATE_DIR]     (default /tmp/elmokeras-slurm)
set -uo pipefail
state=${1:-/tmp/elmokeras-slurm}
for daemon in slurmd slurmctld munged; do
  pidfile=$state/$daemon.pid
  [ -s "$pidfile" ] || continue
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
  fi
  rm -f "$pidfile"
done
exit 0
