#!/usr/bin/env bash
# Start a single-node Slurm 22.05 (Debian 12 packages) with real accounting, for the facility's
# `--backend slurm` and the `@pytest.mark.slurm` tests. No systemd, no cgroups: every daemon is
# started by hand and stopped by ci/slurm-down.sh through its pid file.
#
# Run as root. Idempotent: installs missing packages, (re)writes configs, starts only what is
# not running, waits until the node is idle and the cluster is registered in slurmdbd.
#
#   SLURM_DIR   state, spool, logs and pid files        (default /tmp/slurm-ci)
#
# A fresh SLURM_DIR (no saved slurmctld state) also drops the accounting database: job ids
# restart at 1, and old rows with the same ids would otherwise come back from sacct.
set -euo pipefail

SLURM_DIR=${SLURM_DIR:-/tmp/slurm-ci}
# QOS names of Perlmutter, so scripts with `#SBATCH -q regular` keep their QOS in squeue/sacct.
QOS_LIST="regular debug shared premium preempt overrun interactive realtime"

if [ "$(id -u)" != 0 ]; then
  echo "slurm-up.sh must run as root (it installs packages and starts system daemons)" >&2
  exit 1
fi

t0=$(date +%s%N)
lap() { local now; now=$(date +%s%N); printf '[slurm-up %6.2fs] %s\n' "$(( (now - t0) / 1000000 ))e-3" "$*"; }
alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
wait_for() {  # wait_for <tries of 0.1 s> <command...>: true once the command succeeds
  local n=$1; shift
  for _ in $(seq "$n"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  "$@" >/dev/null 2>&1
}
fail() { echo "slurm-up: $*" >&2; for f in "$SLURM_DIR"/log/*.log; do [ -s "$f" ] && { echo "--- $f" >&2; tail -n 20 "$f" >&2; }; done; exit 1; }

# --- packages -------------------------------------------------------------------------------
missing=""
for p in slurm-wlm munge slurmdbd mariadb-server; do
  dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if [ -n "$missing" ]; then
  apt-get update -qq
  # shellcheck disable=SC2086  # word splitting of the package list is wanted
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
  lap "installed:$missing"
fi

mkdir -p "$SLURM_DIR"/{state,spool,log}
# slurmctld writes job_state periodically; decide "fresh" before it runs.
fresh_state=0
if ! alive "$SLURM_DIR/slurmctld.pid" && [ ! -e "$SLURM_DIR/state/job_state" ]; then
  fresh_state=1
fi

# --- munge ----------------------------------------------------------------------------------
if [ ! -s /etc/munge/munge.key ]; then
  /usr/sbin/mungekey --create --force
  chown munge:munge /etc/munge/munge.key
  chmod 600 /etc/munge/munge.key
fi
install -d -o munge -g munge -m 755 /run/munge
munge_ok() { munge -n | unmunge; }
if ! munge_ok >/dev/null 2>&1; then
  runuser -u munge -- /usr/sbin/munged
  wait_for 50 munge_ok || fail "munged did not start"
fi
lap "munged up"

# --- slurm.conf -----------------------------------------------------------------------------
CPUS=$(nproc)
conf_tmp=$(mktemp)
cat > "$conf_tmp" <<CONF
# Written by ci/slurm-up.sh -- single node, no cgroups, everything runs as root.
ClusterName=localcluster
SlurmctldHost=localhost(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation=$SLURM_DIR/state
SlurmdSpoolDir=$SLURM_DIR/spool
SlurmctldPidFile=$SLURM_DIR/slurmctld.pid
SlurmdPidFile=$SLURM_DIR/slurmd.pid
SlurmctldLogFile=$SLURM_DIR/log/slurmctld.log
SlurmdLogFile=$SLURM_DIR/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
KillWait=5
Waittime=0
# Finished jobs stay in squeue --json for an hour, so exit codes come from slurmctld.
MinJobAge=3600
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=30
# Features cpu and gpu: Perlmutter scripts say "#SBATCH -C cpu" or "-C gpu".
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=1000 Features=cpu,gpu State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
conf_changed=0
if ! cmp -s "$conf_tmp" /etc/slurm/slurm.conf; then
  install -m 644 "$conf_tmp" /etc/slurm/slurm.conf
  conf_changed=1
fi
rm -f "$conf_tmp"

cat > /etc/slurm/slurmdbd.conf <<CONF
AuthType=auth/munge
DbdHost=localhost
DbdAddr=127.0.0.1
SlurmUser=root
DebugLevel=info
LogFile=$SLURM_DIR/log/slurmdbd.log
PidFile=$SLURM_DIR/slurmdbd.pid
StorageType=accounting_storage/mysql
StorageHost=localhost
StorageLoc=slurm_acct_db
StorageUser=slurm
StoragePass=slurmpw
CONF
chmod 600 /etc/slurm/slurmdbd.conf

# --- mariadb --------------------------------------------------------------------------------
install -d -o mysql -g mysql /run/mysqld
if ! mariadb-admin ping >/dev/null 2>&1; then
  if [ ! -d /var/lib/mysql/mysql ]; then
    install -d -o mysql -g mysql /var/lib/mysql
    mariadb-install-db --user=mysql --datadir=/var/lib/mysql --auth-root-authentication-method=socket \
      > "$SLURM_DIR/log/mariadb-install.log" 2>&1 || fail "mariadb-install-db failed"
    lap "mariadb data dir initialised"
  fi
  # setsid: its own session, so it outlives the shell that started it (slurmdbd daemonises itself)
  setsid nohup /usr/sbin/mariadbd --user=mysql --bind-address=127.0.0.1 \
    --pid-file=/run/mysqld/mysqld.pid > "$SLURM_DIR/log/mariadb.log" 2>&1 &
  wait_for 200 mariadb-admin ping || fail "mariadbd did not start"
fi
if [ "$fresh_state" = 1 ]; then
  # slurmdbd caches nothing we need across a fresh state: stop it so it reconnects to the new DB.
  if alive "$SLURM_DIR/slurmdbd.pid"; then
    kill "$(cat "$SLURM_DIR/slurmdbd.pid")"
    for _ in $(seq 50); do alive "$SLURM_DIR/slurmdbd.pid" || break; sleep 0.1; done
  fi
  mariadb -e "DROP DATABASE IF EXISTS slurm_acct_db"
  lap "fresh state dir: accounting database dropped"
fi
mariadb -e "CREATE DATABASE IF NOT EXISTS slurm_acct_db;
  CREATE USER IF NOT EXISTS 'slurm'@'localhost' IDENTIFIED BY 'slurmpw';
  GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost'; FLUSH PRIVILEGES;"
lap "mariadb up"

# --- slurmdbd -------------------------------------------------------------------------------
dbd_port() { exec 3<>/dev/tcp/127.0.0.1/6819; }
if ! alive "$SLURM_DIR/slurmdbd.pid"; then
  slurmdbd
fi
wait_for 100 dbd_port || fail "slurmdbd does not listen on 6819"
lap "slurmdbd up"

# --- slurmctld + slurmd ---------------------------------------------------------------------
if alive "$SLURM_DIR/slurmctld.pid"; then
  if [ "$conf_changed" = 1 ]; then scontrol reconfigure; lap "slurm.conf changed: reconfigured"; fi
else
  slurmctld
fi
alive "$SLURM_DIR/slurmd.pid" || slurmd -N localhost
node_idle() { sinfo -h -n localhost -o %T | grep -Eqx 'idle|mixed|allocated'; }
wait_for 300 node_idle || fail "node localhost never became idle: $(sinfo -h -o '%T %E' 2>&1)"
lap "slurmctld + slurmd up, node $(sinfo -h -n localhost -o %T)"

registered() { sacctmgr -n -P show cluster format=cluster | grep -qx localcluster; }
wait_for 200 registered || fail "cluster localcluster never registered in slurmdbd"
lap "cluster registered in slurmdbd"

# --- QOS ------------------------------------------------------------------------------------
# Without AccountingStorageEnforce Slurm accepts any -q, but stores unknown names as "Unknown";
# existing QOS that root's association may use round-trip as given.
have_qos=$(sacctmgr -n -P show qos format=name)
new_qos=""
for q in $QOS_LIST; do grep -qx "$q" <<<"$have_qos" || new_qos="$new_qos,$q"; done
# one sacctmgr call for all of them: each call costs a round trip through slurmdbd
[ -z "$new_qos" ] || sacctmgr -i -Q add qos "${new_qos#,}" >/dev/null
qos_csv=$(tr ' ' ',' <<<"$QOS_LIST")
root_qos=$(sacctmgr -n -P show assoc user=root cluster=localcluster format=qos | head -n 1)
need=0
for q in $QOS_LIST; do grep -qw "$q" <<<"${root_qos//,/ }" || need=1; done
if [ "$need" = 1 ]; then
  sacctmgr -i -Q modify user where name=root cluster=localcluster set "qos+=$qos_csv" >/dev/null
  root_qos=$(sacctmgr -n -P show assoc user=root cluster=localcluster format=qos | head -n 1)
fi
lap "QOS of root: $root_qos"
lap "done (SLURM_DIR=$SLURM_DIR)"
