#!/usr/bin/env bash
# A real single-node Slurm cluster for the fleet test, run as root (Debian's slurm-wlm and
# munge): `start DIR` installs the packages if missing, writes DIR/slurm.conf, starts munged,
# slurmctld and slurmd, and waits until the node is idle; `start DIR --accounting` also
# starts a MariaDB server (its own data directory in DIR) and slurmdbd, so that `sacct`
# answers; `stop DIR` stops exactly the daemons it started (by the pid files in DIR).
# Clients find the cluster through SLURM_CONF=DIR/slurm.conf.
#
# The node declares one GPU GRES of type `nogpu` although it has no GPU: the scheduler then
# accepts and allocates `--gres=gpu:nogpu:1` like on a real GPU partition, and what runs
# there finds no GPU (that is the task the test expects to fail).
set -euo pipefail

cmd=${1:?usage: slurm-cluster.sh start|stop DIR [--accounting]}
dir=${2:?usage: slurm-cluster.sh start|stop DIR [--accounting]}
accounting=${3:-}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

stop_pid() { # name pidfile
  local pid
  [ -s "$2" ] || return 0
  pid=$(cat "$2")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid" 2>/dev/null || true; fi
    echo "slurm-cluster: stopped $1 ($pid)"
  fi
  rm -f "$2"
}

case $cmd in
start)
  pkgs=()
  command -v slurmctld >/dev/null || pkgs+=(slurm-wlm)
  command -v munged >/dev/null || pkgs+=(munge)
  if [ "$accounting" = --accounting ]; then
    command -v slurmdbd >/dev/null || pkgs+=(slurmdbd)
    command -v mariadbd >/dev/null || pkgs+=(mariadb-server)
  fi
  if [ ${#pkgs[@]} -gt 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
  fi
  host=$(hostname -s)
  # CPUs and memory as slurmd sees them, so the node registers without a mismatch.
  cpus=$(slurmd -C | sed -n 's/.* CPUs=\([0-9]*\).*/\1/p')
  mem=$(slurmd -C | sed -n 's/.* RealMemory=\([0-9]*\).*/\1/p')
  # mktemp -d makes the directory private; mariadbd (user mysql) must reach its data in it.
  chmod 755 "$dir"
  # A fresh controller state: a node drained in an earlier run must not stay drained.
  rm -rf "$dir/state" "$dir/spool"
  mkdir -p "$dir/state" "$dir/spool" "$dir/munge"
  chown munge:munge "$dir/munge"
  [ -s /etc/munge/munge.key ] || { dd if=/dev/urandom bs=128 count=1 of=/etc/munge/munge.key 2>/dev/null; chown munge:munge /etc/munge/munge.key; chmod 400 /etc/munge/munge.key; }
  cat >"$dir/slurm.conf" <<EOF
ClusterName=archbench-ci
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$dir/munge/munge.socket.2
CryptoType=crypto/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
SlurmctldPort=26817
SlurmdPort=26818
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
JobCompType=jobcomp/none
# Finished jobs stay visible to scontrol for 10 minutes (sacct needs slurmdbd: --accounting).
MinJobAge=600
GresTypes=gpu
NodeName=$host CPUs=$cpus RealMemory=$mem Gres=gpu:nogpu:1 State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=60 State=UP
EOF
  cat >"$dir/gres.conf" <<EOF
AutoDetect=off
NodeName=$host Name=gpu Type=nogpu File=/dev/null
EOF
  munged --socket="$dir/munge/munge.socket.2" --pid-file="$dir/munged.pid" \
    --log-file="$dir/munged.log" --seed-file="$dir/munge/munged.seed" --force
  export SLURM_CONF="$dir/slurm.conf"
  if [ "$accounting" = --accounting ]; then
    # MariaDB with its own data directory and port, then slurmdbd on it.
    rm -rf "$dir/mysql"
    mkdir -p "$dir/mysql"
    chown mysql:mysql "$dir/mysql"
    mariadb-install-db --user=mysql --datadir="$dir/mysql" \
      --auth-root-authentication-method=socket >"$dir/mariadb-install.log" 2>&1
    mariadbd --user=mysql --datadir="$dir/mysql" --socket="$dir/mysql/mysqld.sock" \
      --pid-file="$dir/mysql/mariadb.pid" --port=26820 --bind-address=127.0.0.1 \
      --log-error="$dir/mysql/mariadb.log" --innodb-buffer-pool-size=64M >/dev/null 2>&1 &
    for _ in $(seq 300); do
      mariadb --socket="$dir/mysql/mysqld.sock" -e 'select 1' >/dev/null 2>&1 && break
      sleep 0.2
    done
    mariadb --socket="$dir/mysql/mysqld.sock" -e "CREATE DATABASE slurm_acct_db;
      CREATE USER 'slurm'@'127.0.0.1' IDENTIFIED BY 'archbench-ci';
      GRANT ALL ON slurm_acct_db.* TO 'slurm'@'127.0.0.1';"
    {
      echo "AuthType=auth/munge"
      echo "AuthInfo=socket=$dir/munge/munge.socket.2"
      echo "DbdHost=localhost"
      echo "DbdPort=26819"
      echo "SlurmUser=root"
      echo "PidFile=$dir/slurmdbd.pid"
      echo "LogFile=$dir/slurmdbd.log"
      echo "StorageType=accounting_storage/mysql"
      echo "StorageHost=127.0.0.1"
      echo "StoragePort=26820"
      echo "StorageUser=slurm"
      echo "StoragePass=archbench-ci"
      echo "StorageLoc=slurm_acct_db"
    } >"$dir/slurmdbd.conf"
    chmod 600 "$dir/slurmdbd.conf"
    {
      echo "AccountingStorageType=accounting_storage/slurmdbd"
      echo "AccountingStorageHost=localhost"
      echo "AccountingStoragePort=26819"
      # The socket of this cluster's munged, for the connection to slurmdbd.
      echo "AccountingStoragePass=$dir/munge/munge.socket.2"
    } >>"$dir/slurm.conf"
    slurmdbd
    for _ in $(seq 150); do
      sacctmgr -i add cluster archbench-ci >/dev/null 2>&1 && break
      sleep 0.2
    done
    if ! sacctmgr -n -P list cluster format=cluster | grep -qx archbench-ci; then
      echo "slurm-cluster: slurmdbd did not register the cluster" >&2
      tail -n 20 "$dir/slurmdbd.log" "$dir/mysql/mariadb.log" >&2 || true
      exit 1
    fi
  else
    echo "AccountingStorageType=accounting_storage/none" >>"$dir/slurm.conf"
  fi
  slurmctld -f "$SLURM_CONF"
  slurmd -f "$SLURM_CONF"
  for _ in $(seq 60); do
    state=$(sinfo -h -N -o %t 2>/dev/null | head -1 || true)
    [ "$state" = idle ] && break
    sleep 0.5
  done
  if [ "${state:-}" != idle ]; then
    echo "slurm-cluster: the node did not become idle (state: ${state:-none})" >&2
    tail -n 20 "$dir/slurmctld.log" "$dir/slurmd.log" >&2 || true
    exit 1
  fi
  echo "slurm-cluster: up (SLURM_CONF=$SLURM_CONF, node $host: $cpus CPUs, gres gpu:nogpu:1${accounting:+, slurmdbd})"
  ;;
stop)
  stop_pid slurmd "$dir/slurmd.pid"
  stop_pid slurmctld "$dir/slurmctld.pid"
  stop_pid slurmdbd "$dir/slurmdbd.pid"
  stop_pid mariadbd "$dir/mysql/mariadb.pid"
  stop_pid munged "$dir/munged.pid"
  ;;
*)
  echo "usage: slurm-cluster.sh start|stop DIR" >&2
  exit 2
  ;;
esac
