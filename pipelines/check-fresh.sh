#!/bin/sh
# check-fresh.sh — the README's commands on a machine where nothing was
# installed by hand (make check-fresh, as root).  Builds a minimal Debian root
# (debootstrap --variant=minbase), and inside it, as root, does only what the
# README asks of a user: apt-get update && apt-get install -y git make, a
# clone of this repository's HEAD (what is committed), make demo, make test.
# Everything else must come from the Makefile and pipelines/deps.sh.  Slow
# (several hundred packages, the test suite twice): not for CI.
#   FRESH_ROOT=DIR    use the root in DIR as it is, or build it there when DIR
#                     does not exist (to iterate); by default build/fresh/root,
#                     deleted and built from nothing on every run
#   FRESH_MIRROR=URL  the Debian mirror (http://deb.debian.org/debian)
#   FRESH_SUITE=NAME  the release (bookworm)
# Ends with each phase's status and time, the demo's accuracies and the test
# count; exits 1 when a phase failed.  Mounts proc, sysfs, the host's
# /sys/fs/cgroup (slurmd needs it, and a booted machine has it) and the
# host's /dev/pts (the tests run tools on a terminal with script(1)) in the
# root and unmounts them on exit; the rest of /dev is debootstrap's device
# nodes, not a bind of the host's /dev, which a `make clean` during the run
# would empty.
set -u
cd "$(dirname "$0")/.." || exit 2
top=$(pwd)
mirror=${FRESH_MIRROR:-http://deb.debian.org/debian}
suite=${FRESH_SUITE:-bookworm}
root=${FRESH_ROOT:-$top/build/fresh/root}
case $root in /*) ;; *) root=$top/$root ;; esac
case $root in *[[:space:]]*|/) echo "check-fresh.sh: unusable root '$root'" >&2; exit 2 ;; esac
[ "$(id -u)" = 0 ] || { echo "check-fresh.sh: run as root (debootstrap, mount, chroot)" >&2; exit 2; }

logs=$(mktemp -d "${TMPDIR:-/tmp}/check-fresh.XXXXXX") || exit 2
mounts=""  # most recent first
summary="" failed=0 notes=""
cleanup() {
    for m in $mounts; do umount -R "$m" 2>/dev/null || umount -l "$m"; done
    rm -rf "$logs"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

mounted_below() { awk -v r="$1/" 'index($2 "/", r) == 1 { f = 1 } END { exit !f }' /proc/mounts; }
note() { notes="$notes  $*
"; echo "check-fresh.sh: $*"; }

# phase NAME CMD...: runs CMD with its output on stdout and in $logs/NAME;
# records its status and time
phase() {
    name=$1; shift
    printf '\n=== %s: %s\n' "$name" "$*"
    t0=$(date +%s)
    { "$@" </dev/null; echo $? > "$logs/$name.rc"; } 2>&1 | tee "$logs/$name.log"
    rc=$(cat "$logs/$name.rc") t=$(($(date +%s) - t0))
    if [ "$rc" = 0 ]; then st=ok; else st="FAILED (exit $rc)" failed=1; fi
    summary="$summary$(printf '  %-12s %-17s %6d s' "$name" "$st" "$t")
"
    printf '=== %s: %s, %d s\n' "$name" "$st" "$t"
    return "$rc"
}
skip() {
    summary="$summary$(printf '  %-12s %-17s' "$1" "skipped")
"; failed=1
}

report() {
    echo
    echo "== check-fresh: $head ($suite, $mirror), $(($(date +%s) - start)) s in all"
    printf '%s' "$notes"
    printf '%s' "$summary"
    for f in "$logs"/*.log; do [ -f "$f" ] && grep -h '^deps\.sh:' "$f" | sed 's/^/  /'; done
    [ -f "$logs/demo.log" ] && grep -h 'accuracy' "$logs/demo.log" | sed 's/^/  demo: /'
    if [ -f "$logs/test.log" ]; then
        grep -h '^not ok' "$logs/test.log" | sed 's/^/  /'
        grep -E '^[0-9]+ passed, [0-9]+ failed' "$logs/test.log" | sed 's/^/  test: /'
    fi
}

# in the root as its root user; the environment passes through, except the
# outer make's own variables (a user's make starts at level 0, no jobserver)
inside() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL chroot "$root" /bin/sh -c "$1"; }

bootstrap() {
    if ! command -v debootstrap >/dev/null 2>&1; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap >/dev/null ||
            { apt-get update -q >/dev/null &&
              DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap >/dev/null; } ||
            return 1
    fi
    debootstrap --variant=minbase "$suite" "$root" "$mirror"
}

start=$(date +%s)
head=$(git rev-parse HEAD) || exit 2
echo "check-fresh.sh: $(git log -1 --format='%h %s' HEAD) in $root"
if mounted_below "$root"; then
    echo "check-fresh.sh: something is mounted below $root; unmount it first" >&2
    exit 2
fi
if [ -n "${FRESH_ROOT:-}" ] && [ -e "$root/etc/debian_version" ]; then
    note "reusing the root in $root (not a proof: it may hold what earlier runs installed)"
    summary="$summary$(printf '  %-12s %-17s' debootstrap reused)
"
else
    if [ -z "${FRESH_ROOT:-}" ] && [ -e "$root" ]; then
        rm -rf --one-file-system "$root" || exit 2
    fi
    mkdir -p "$root" || exit 2
    phase debootstrap bootstrap || { report; exit 1; }
fi

# what the root needs from this host: the name server, and the host's own
# certificate authorities when it has any (a proxy that intercepts TLS here
# would break npm's https; the ca-certificates package adds them when npm
# pulls it in).  This host's apt settings are not needed.
cp -L /etc/resolv.conf "$root/etc/resolv.conf"
set -- /usr/local/share/ca-certificates/*.crt
if [ -e "$1" ]; then
    mkdir -p "$root/usr/local/share/ca-certificates"
    cp "$@" "$root/usr/local/share/ca-certificates/"
    note "copied this host's $# local CA certificate(s) into the root"
fi
mount -t proc nn-fresh-proc "$root/proc" || exit 1
mounts="$root/proc"
mount -t sysfs nn-fresh-sys "$root/sys" || exit 1
mounts="$root/sys $mounts"
mount --bind /dev/pts "$root/dev/pts" || exit 1
mounts="$root/dev/pts $mounts"
# the cgroup file systems, which a booted machine has on /sys/fs/cgroup
# (systemd, or a container runtime, mounts them) and slurmd needs: v2
# there, or v1's hierarchies below it, all bound as they are
if mountpoint -q /sys/fs/cgroup; then
    mount --rbind /sys/fs/cgroup "$root/sys/fs/cgroup" || exit 1
    mounts="$root/sys/fs/cgroup $mounts"
else
    note "this host has no /sys/fs/cgroup: make test's Slurm cluster will not start"
fi

# the repository as committed, where the clone inside can reach it
rm -rf "$root/srv/nn.git" "$root/root/nn"
git clone -q --bare "$top" "$root/srv/nn.git" || exit 1
git -C "$root/srv/nn.git" update-ref HEAD "$head"  # HEAD as it was at the start

if phase manual inside 'apt-get update && apt-get install -y git make'; then
    phase clone inside 'git clone /srv/nn.git /root/nn && git -C /root/nn log -1 --oneline'
else
    skip clone
fi
if [ -e "$root/root/nn/Makefile" ]; then
    phase demo inside 'cd /root/nn && make demo'
    phase test inside 'cd /root/nn && make test'
else
    skip demo; skip test
fi

report
exit $failed
