#!/bin/sh
# cluster.sh up|down|status — a one-node Slurm cluster on the loopback, for
# tests and demos: its own MUNGE key and munged, slurmctld and slurmd, a
# generated slurm.conf, state, spool and logs, all in one temporary
# directory; no systemd, nothing under /etc or /var.  Needs root (slurmd
# starts the jobs as their users) and Debian's slurmctld, slurmd,
# slurm-client and munge (sh pipelines/deps.sh slurm installs them).
#
#   eval "$(sh pipelines/slurm/cluster.sh up)"   start; prints the lines
#                        export SLURM_CONF=DIR/slurm.conf NN_SLURM_DIR=DIR
#                        on stdout (sbatch, squeue... read SLURM_CONF), and
#                        where the logs are on stderr
#   cluster.sh status    the daemons, the node and the queue
#   cluster.sh down      stop the daemons (TERM, then KILL) and remove DIR
#
# The directory is NN_SLURM_DIR, or that of SLURM_CONF; down and status
# only touch a directory this script made (it holds .nn-slurm-cluster).
# A failed up takes down what it started and removes its directory, and
# down after it (or twice) does nothing and succeeds.  The node gets the
# machine's CPUs, sockets, cores and memory as slurmd -C reads them; the
# ports are the first free pair from 6817 up (NN_SLURM_PORT: another base).
# Exit status: 0 success, 1 failure (the logs are named), 2 usage error.
set -eu
help() { sed -n '2,22s/^# \{0,1\}//p' "$0"; }
die() { echo "cluster.sh: $1" >&2; exit 1; }
# slurmd (22.05) initialises its cgroup plugin even with
# proctrack/linuxproc and task/none, and fails where /sys/fs/cgroup is not
# mounted (a chroot, or a container started without it)
cgroup_hint() {
    awk '$3 ~ /^cgroup2?$/ && index($2 "/", "/sys/fs/cgroup/") == 1 { f = 1 } END { exit !f }' /proc/mounts ||
        echo "; no cgroup file system on /sys/fs/cgroup, which slurmd needs: mount -t cgroup2 none /sys/fs/cgroup"
}

dir_of_cluster() {
    d=${NN_SLURM_DIR:-}
    [ -n "$d" ] || { [ -n "${SLURM_CONF:-}" ] && d=$(dirname "$SLURM_CONF"); } || true
    printf '%s' "$d"
}

# stop DIR: every daemon whose pid file is in DIR, TERM then KILL
stop() {
    d=$1
    for name in slurmd slurmctld munged; do
        f=$d/run/$name.pid
        [ -s "$f" ] || continue
        pid=$(cat "$f")
        case $pid in '' | *[!0-9]*) continue ;; esac
        # only our own daemon: its command line names this directory
        tr '\0' ' ' < /proc/$pid/cmdline 2>/dev/null | grep -qF "$d/" || continue
        kill -TERM "$pid" 2>/dev/null || continue
        i=0
        while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.2; i=$((i + 1)); done
        kill -KILL "$pid" 2>/dev/null || true
    done
}

down() {
    d=$(dir_of_cluster)
    if [ -z "$d" ] || [ ! -f "$d/.nn-slurm-cluster" ]; then
        echo "cluster.sh: no cluster to take down${d:+ in $d}" >&2
        return 0
    fi
    # jobs first, so that slurmd does not leave their processes behind
    SLURM_CONF=$d/slurm.conf scancel --quiet --full --user="$(id -un)" >/dev/null 2>&1 || true
    stop "$d"
    rm -rf "$d"
    echo "cluster.sh: down, $d removed" >&2
}

status() {
    d=$(dir_of_cluster)
    [ -n "$d" ] && [ -f "$d/.nn-slurm-cluster" ] || die "no cluster (set NN_SLURM_DIR or SLURM_CONF)"
    echo "directory $d (logs in $d/log)"
    for name in munged slurmctld slurmd; do
        pid=$(cat "$d/run/$name.pid" 2>/dev/null || true)
        if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then echo "$name running, pid $pid"
        else echo "$name NOT running"; fi
    done
    export SLURM_CONF=$d/slurm.conf
    sinfo -N -o '%N %T %c %m' && squeue
}

# port_free PORT: nothing listens on PORT (TCP, IPv4 or IPv6)
port_free() {
    hex=$(printf ':%04X ' "$1")
    ! cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | grep -q "$hex"
}

up() {
    [ "$(id -u)" = 0 ] || die "needs root (slurmd runs the jobs as their users)"
    for c in munged slurmctld slurmd sbatch squeue sinfo scontrol; do
        command -v $c >/dev/null 2>&1 || PATH=$PATH:/usr/sbin:/sbin
        command -v $c >/dev/null 2>&1 ||
            die "$c not found: install with sh pipelines/deps.sh slurm"
    done
    d=$(mktemp -d "${TMPDIR:-/tmp}/nn-slurm.XXXXXX")
    chmod 700 "$d"
    : > "$d/.nn-slurm-cluster"
    # any failure from here takes down what was started: an error, a
    # signal, or a reader of our messages gone (up 2>&1 | head: SIGPIPE).
    # While taking down, SIGPIPE is ignored and errexit off, so that a
    # failed write of a message does not stop down.
    trap 'rc=$?; set +e; trap "" PIPE; if [ $rc -ne 0 ]; then echo "cluster.sh: up failed; logs were:" >&2;
          tail -n 5 "$d"/log/*.log >&2 2>/dev/null; NN_SLURM_DIR=$d down; fi' EXIT
    trap 'exit 1' HUP INT TERM PIPE
    mkdir -p "$d/log" "$d/run" "$d/state" "$d/spool" "$d/munge"
    chmod 700 "$d/munge"

    # MUNGE: a key of our own, a socket in our directory
    if command -v mungekey >/dev/null 2>&1; then
        mungekey --create --keyfile="$d/munge/munge.key" 2>>"$d/log/munged.log"
    else
        dd if=/dev/urandom of="$d/munge/munge.key" bs=1024 count=1 2>/dev/null
    fi
    chmod 400 "$d/munge/munge.key"
    sock=$d/munge/munge.socket
    munged --force --socket="$sock" --key-file="$d/munge/munge.key" \
        --pid-file="$d/run/munged.pid" --log-file="$d/log/munged.log" \
        --seed-file="$d/munge/munged.seed" </dev/null >>"$d/log/munged.log" 2>&1 ||
        die "munged did not start (see $d/log/munged.log)"

    port=${NN_SLURM_PORT:-6817}
    case $port in '' | *[!0-9]*) die "NN_SLURM_PORT '$port' is not a port number" ;; esac
    while ! port_free $port || ! port_free $((port + 1)); do
        port=$((port + 2))
        [ $port -lt 65000 ] || die "no free pair of ports"
    done
    host=$(hostname -s)
    # the node as slurmd sees it: CPUs=2 Boards=1 SocketsPerBoard=1 ...
    node=$(slurmd -C | sed -n '1s/^NodeName=[^ ]* //p')
    [ -n "$node" ] || die "slurmd -C did not describe the node"
    cat > "$d/slurm.conf" <<EOF
# generated by pipelines/slurm/cluster.sh for Slurm $(slurmd -V | awk '{print $2}')
ClusterName=nn
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$sock
StateSaveLocation=$d/state
SlurmdSpoolDir=$d/spool
SlurmctldPidFile=$d/run/slurmctld.pid
SlurmdPidFile=$d/run/slurmd.pid
SlurmctldLogFile=$d/log/slurmctld.log
SlurmdLogFile=$d/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SwitchType=switch/none
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SchedulerParameters=kill_invalid_depend,batch_sched_delay=0,sched_min_interval=0
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MailProg=/bin/true
NodeName=$host NodeAddr=127.0.0.1 $node State=UNKNOWN
PartitionName=nn Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
    SLURM_CONF=$d/slurm.conf
    export SLURM_CONF
    slurmctld -f "$SLURM_CONF" </dev/null >>"$d/log/slurmctld.log" 2>&1 ||
        die "slurmctld did not start (see $d/log/slurmctld.log)"
    slurmd -f "$SLURM_CONF" </dev/null >>"$d/log/slurmd.log" 2>&1 ||
        die "slurmd did not start (see $d/log/slurmd.log)$(cgroup_hint)"
    # ready when the node is idle (30 s at most)
    i=0
    until [ "$(sinfo -h -N -o %T 2>/dev/null)" = idle ]; do
        i=$((i + 1))
        [ $i -le 60 ] || die "the node did not come up idle in 30 s: $(sinfo -h -N -o '%T %E' 2>&1) (logs: $d/log)$(cgroup_hint)"
        sleep 0.5
    done
    trap - EXIT HUP INT TERM PIPE
    echo "cluster.sh: up: Slurm $(slurmd -V | awk '{print $2}'), node $host ($(sinfo -h -N -o '%c CPUs, %m MB')), ports $port-$((port + 1)); logs in $d/log" >&2
    echo "export SLURM_CONF=$d/slurm.conf NN_SLURM_DIR=$d"
}

case ${1:-} in
up) up ;;
down) down ;;
status) status ;;
-h | --help) help ;;
*) echo "cluster.sh: expected up, down or status" >&2
   echo "Try 'cluster.sh --help' for more information." >&2; exit 2 ;;
esac
