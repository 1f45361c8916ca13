#!/usr/bin/env bash
# Brings up a single-node Slurm on this Debian machine, for tests and demos: munged, slurmctld and
# slurmd, without systemd, on loopback, each tracked by a pid file under the state folder so that
# stop-local-slurm.sh stops exactly what this started. Installs Debian's slurmctld, slurmd,
# slurm-client and munge when missing (needs root). Idempotent: a second call finds them running.
#
#   bash scripts/slurm/start-local-slurm.sh [STATE_DIR]     (default /tmp/elmokeras-slurm)
#   export SLURM_CONF=STATE_DIR/slurm.conf                  (what sbatch/squeue need; printed last)
#
# Exit codes: 0 running, 3 Slurm cannot be installed here (the reason is printed), 1 other failures.
set -euo pipefail
state=${1:-/tmp/elmokeras-slurm}
mkdir -p "$state"
state=$(cd "$state" && pwd)

if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v sbatch >/dev/null || ! command -v munged >/dev/null; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "start-local-slurm: Slurm is not installed and cannot be installed here (needs root and apt-get)." >&2
    exit 3
  fi
  echo "start-local-slurm: installing slurmctld slurmd slurm-client munge" >&2
  if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client munge >/dev/null; }; then
    echo "start-local-slurm: apt-get could not install slurmctld slurmd slurm-client munge." >&2
    exit 3
  fi
fi

alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# munge authenticates every Slurm message. Use a munged that already answers; otherwise start one as
# the munge user (its directories must be the munge user's, and /run/munge does not survive reboots).
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  mkdir -p /run/munge /var/log/munge /var/lib/munge
  chown munge:munge /run/munge /var/log/munge /var/lib/munge
  chmod 0755 /run/munge
  if [ ! -s /etc/munge/munge.key ]; then
    mungekey --create --keyfile=/etc/munge/munge.key
    chown munge:munge /etc/munge/munge.key && chmod 0400 /etc/munge/munge.key
  fi
  runuser -u munge -- munged --pid-file=/run/munge/munged.pid
  for _ in $(seq 50); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.1; done
  cp /run/munge/munged.pid "$state/munged.pid"
fi
munge -n | unmunge >/dev/null || { echo "start-local-slurm: munged does not answer" >&2; exit 1; }

host=$(hostname -s)
conf=$state/slurm.conf
if ! alive "$state/slurmctld.pid" || ! alive "$state/slurmd.pid"; then
  mkdir -p "$state/ctld" "$state/spool"
  # This node's CPU layout as slurmd sees it; RealMemory a little below what it reports, since a
  # node that reports less memory than configured is drained.
  read -r node_line < <(slurmd -C | head -1)
  memory=$(sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p' <<<"$node_line")
  layout=$(sed -e 's/^NodeName=[^ ]* //' -e 's/ RealMemory=[0-9]*//' <<<"$node_line")
  cat > "$conf" <<CONF
# Written by scripts/slurm/start-local-slurm.sh: one node, loopback only, no accounting.
ClusterName=elmokeras-local
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MailProg=/bin/true
ReturnToService=2
StateSaveLocation=$state/ctld
SlurmdSpoolDir=$state/spool
SlurmctldPidFile=$state/slurmctld.pid
SlurmdPidFile=$state/slurmd.pid
SlurmctldLogFile=$state/slurmctld.log
SlurmdLogFile=$state/slurmd.log
SlurmctldPort=${ELMOKERAS_SLURMCTLD_PORT:-6817}
SlurmdPort=${ELMOKERAS_SLURMD_PORT:-6818}
NodeName=$host NodeAddr=127.0.0.1 $layout RealMemory=$((memory * 9 / 10)) State=UNKNOWN
PartitionName=local Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
  export SLURM_CONF=$conf
  alive "$state/slurmctld.pid" || slurmctld -f "$conf" -i
  alive "$state/slurmd.pid" || slurmd -f "$conf"
fi
export SLURM_CONF=$conf

# Ready when the node takes jobs.
for _ in $(seq 100); do
  node_state=$(sinfo -h -n "$host" -o %t 2>/dev/null || true)
  case "$node_state" in idle*|mix*|alloc*) break ;; esac
  sleep 0.2
done
case "$node_state" in
  idle*|mix*|alloc*) ;;
  *) echo "start-local-slurm: node $host is '$node_state', not idle; see $state/slurmctld.log and $state/slurmd.log" >&2; exit 1 ;;
esac
echo "export SLURM_CONF=$conf"
