#!/bin/sh
# table72-array.sh TRAIN TEST — thesis Table 7.2 (pipelines/table72.sh) as
# one job array: a task per width, each running table72.sh for its width
# (WIDTHS=w, every method and seed) in a directory of its own, then a
# dependent job that gathers the rows and makes the same tables and plot
# from them with table72.sh's REUSE=1.  Writes
# pipelines/results/slurm-table72.md, slurm-table72-runs.tsv and
# slurm-table72.png (table72.sh's own results are not touched), and
# prints how many rows differ from the recorded ones
# (pipelines/results/table72-runs.tsv: the same method, width and seed
# must give the same accuracies).
#
# WIDTHS (default 98 196 392 784 1568) and SEEDS (default 10) as
# table72.sh; RUNNER=local|slurm and the rest as run.sh in this
# directory; WORK=DIR keeps the work directory (resume); COMMIT names the
# tools' commit in the page (default HEAD).  A finer array
# (a task per method, width and seed) would need a one-run mode in
# table72.sh.
set -eu
if [ "${1:-}" = _width ]; then # _width W TRAIN TEST (TASK: the width's place)
    w=$(echo $WIDTHS | cut -d' ' -f$((TASK + 1)))
    mkdir -p "$2/t$TASK/pipelines/results"
    cd "$2/t$TASK"
    WIDTHS=$w sh "$TOP/pipelines/table72.sh" "$3" "$4" > /dev/null
    exit 0
fi
if [ "${1:-}" = _gather ]; then # _gather W N TRAIN TEST
    mkdir -p "$2/g/pipelines/results"
    i=0
    while [ $i -lt "$3" ]; do cat "$2/t$i/pipelines/results/table72-runs.tsv"; i=$((i + 1)); done \
        > "$2/g/pipelines/results/table72-runs.tsv"
    cd "$2/g"
    REUSE=1 sh "$TOP/pipelines/table72.sh" "$4" "$5" > /dev/null
    exit 0
fi
[ $# -eq 2 ] || { echo "usage: table72-array.sh TRAIN TEST" >&2; exit 2; }
TOP=$(cd "$(dirname "$0")/../.." && pwd)
WIDTHS=${WIDTHS:-98 196 392 784 1568}
export TOP WIDTHS
train=$1 test=$2
case $train in /*) ;; *) train=$(pwd)/$train ;; esac
case $test in /*) ;; *) test=$(pwd)/$test ;; esac
if [ -n "${WORK:-}" ]; then W=$WORK; mkdir -p "$W"
else W=$(mktemp -d "${TMPDIR:-/tmp}/table72-array.XXXXXX"); trap 'rm -rf "$W"' EXIT; fi
W=$(cd "$W" && pwd)
. "$(dirname "$0")/run.sh"
me=$TOP/pipelines/slurm/table72-array.sh
n=$(echo $WIDTHS | wc -w)
stage width "$n" "$W/t%a/pipelines/results/table72-runs.tsv" sh "$me" _width "$W" "$train" "$test"
stage gather 1 "$W/g/pipelines/results/table72.md" sh "$me" _gather "$W" "$n" "$train" "$test"
stages_wait
R=$TOP/pipelines/results
cp "$W/g/pipelines/results/table72-runs.tsv" "$R/slurm-table72-runs.tsv"
cp "$W/g/pipelines/results/table72.png" "$R/slurm-table72.png"
# against the record: the accuracies of every run found there
check=$(awk 'NR == FNR { acc[$1 FS $2 FS $3] = $4 FS $5; next }
     ($1 FS $2 FS $3) in acc { n++; if (acc[$1 FS $2 FS $3] != $4 FS $5) { d++; print "differs:", $0 } }
     END { printf "%d runs, %d found in the record, %d differ\n", FNR, n + 0, d + 0 }' \
    "$R/table72-runs.tsv" "$R/slurm-table72-runs.tsv")
echo "table72-array: $check" >&2
{
    echo "Made by pipelines/slurm/table72-array.sh (RUNNER=$RUNNER, a task per width:"
    echo "$WIDTHS; SEEDS=${SEEDS:-10}), gathered by table72.sh REUSE=1; tools of commit"
    echo "${COMMIT:-$(git -C "$TOP" rev-parse --short HEAD)}. Against pipelines/results/table72-runs.tsv"
    echo "(the same method, width and seed): $check."
    echo
    cat "$W/g/pipelines/results/table72.md"
} > "$R/slurm-table72.md"
