#!/bin/sh
# kfilter-blocks.sh — k-filtering by blocks as a job array: the rows are
# split into blocks of B (nn-split --rows), each block is filtered by a
# task of its own (nn-kfilter -k K), and the kept rows are joined in order
# (nn-cat): the rows nn-kfilter -k K -b B gives in one process (its man
# page: filtering with -b B is filtering each block on its own and joining
# the results).  A last block of K rows or fewer is kept whole, as
# nn-kfilter keeps it.
#
#   kfilter-blocks.sh [OPTION]... FILE > kept.nns
#
#   -k, --neighbours=K    neighbours (default 10)
#   -b, --batch=B         rows per block (default 6148, the thesis's)
#       --cap=F           drop at most the fraction F of each block
#   -w, --work=DIR        work directory (blocks, kept rows, logs in
#                         DIR/log), kept: the same DIR resumes; default a
#                         temporary one, removed on success
#   -h, --help            show this help and exit
# RUNNER=local|slurm chooses where the tasks run (see run.sh in this
# directory).  Exit status: 0 success, 1 a task failed, 2 usage error.
# Example: RUNNER=slurm kfilter-blocks.sh -k 10 -b 6148 train.nns > kept.nns
set -eu
help() { sed -n '2,20s/^# \{0,1\}//p' "$0"; }
usage_error() {
    echo "kfilter-blocks.sh: $1" >&2
    echo "Try 'kfilter-blocks.sh --help' for more information." >&2
    exit 2
}
# the task of one block: _block K CAP IN OUT
if [ "${1:-}" = _block ]; then
    rows=$(nn-info -H -j "$4" | awk -F'"shape": *\\[' '/"name": *"x"/ { split($2, a, /[],]/); print a[1]; exit }')
    if [ "${rows:-0}" -le "$2" ]; then exec cp "$4" "$5"; fi
    exec nn-kfilter -k "$2" ${3:+--cap "$3"} -o "$5" "$4"
fi
k=10 B=6148 cap= W=
while [ $# -gt 0 ]; do
    opt=$1 val= has=
    case $opt in
    --) shift; break ;;
    --*=*) val=${opt#*=} opt=${opt%%=*} has=1 ;;
    -[kbw]?*) val=${opt#-?} opt=${opt%"$val"} has=1 ;;
    -?*) ;;
    *) break ;;
    esac
    case $opt in
    -h | --help) help; exit 0 ;;
    -k | --neighbours | -b | --batch | --cap | -w | --work)
        if [ -z "$has" ]; then
            [ $# -ge 2 ] || usage_error "option '$opt' requires an argument"
            val=$2
            shift
        fi ;;
    *) usage_error "invalid option '$opt'" ;;
    esac
    shift
    case $opt in
    -k | --neighbours) k=$val ;;
    -b | --batch) B=$val ;;
    --cap) cap=$val ;;
    -w | --work) W=$val ;;
    esac
done
for n in "$k" "$B"; do
    case $n in '' | *[!0-9]*) usage_error "invalid number '$n'" ;; esac
done
[ "$B" -gt "$k" ] || usage_error "blocks of $B rows need more than k = $k"
[ $# -eq 1 ] || usage_error "expected one FILE"
data=$1
[ -r "$data" ] || usage_error "cannot read '$data'"
case $data in /*) ;; *) data=$(pwd)/$data ;; esac

. "$(dirname "$0")/run.sh"
run_workdir kfilter-blocks

# the blocks: as many as nn-split --rows makes
rows=$(nn-info -H -j "$data" | awk -F'"shape": *\\[' '/"name": *"x"/ { split($2, a, /[],]/); print a[1]; exit }')
case $rows in '' | *[!0-9]*) echo "kfilter-blocks.sh: no tensor x in $data" >&2; exit 1 ;; esac
n=$(((rows + B - 1) / B))
[ $n -ge 1 ] || n=1
[ $n -le 999 ] || usage_error "$n blocks: at most 999 (a larger --batch)"
stage split 1 "$W/block.$(printf %03d $((n - 1))).nns" nn-split --rows="$B" "$W/block" "$data"
stage filter $n "$W/kept.%3a.nns" sh "$(cd "$(dirname "$0")" && pwd)/kfilter-blocks.sh" _block "$k" "$cap" \
    "$W/block.%3a.nns" "$W/kept.%3a.nns"
stages_wait
i=0 files=
while [ $i -lt $n ]; do files="$files $W/kept.$(printf %03d $i).nns"; i=$((i + 1)); done
nn-cat $files
