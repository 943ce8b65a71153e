#!/usr/bin/env bash
# Stop what ci/slurm-up.sh started, each daemon by its pid file (never by process name, so
# nothing else on the machine is touched). Safe to run when nothing is running.
#   SLURM_DIR            as for slurm-up.sh (default /tmp/slurm-ci)
#   SLURM_DOWN_KEEP_DB=1 leave mariadbd and munged running
set -uo pipefail
SLURM_DIR=${SLURM_DIR:-/tmp/slurm-ci}

running() {  # a live process (not a zombie: PID 1 here may not reap daemons' exits)
  kill -0 "$1" 2>/dev/null && [ "$(ps -o stat= -p "$1" 2>/dev/null | cut -c1)" != Z ]
}

stop_all() {  # stop_all <pidfile>...: signal all at once (each takes 1-3 s to shut down), then wait
  local f p pids=()
  for f in "$@"; do
    [ -s "$f" ] || continue
    p=$(cat "$f")
    if running "$p"; then kill "$p" 2>/dev/null && pids+=("$p") && echo "stopping $(basename "$f" .pid) ($p)"; fi
  done
  for _ in $(seq 150); do
    local left=0
    for p in "${pids[@]}"; do running "$p" && left=1; done
    [ "$left" = 0 ] && break
    sleep 0.1
  done
  for p in "${pids[@]}"; do running "$p" && { echo "killing $p"; kill -9 "$p" 2>/dev/null; }; done
  rm -f "$@"
}

stop_all "$SLURM_DIR/slurmd.pid" "$SLURM_DIR/slurmctld.pid" "$SLURM_DIR/slurmdbd.pid"
if [ "${SLURM_DOWN_KEEP_DB:-0}" != 1 ]; then
  stop_all /run/mysqld/mysqld.pid /run/munge/munged.pid
fi
exit 0
