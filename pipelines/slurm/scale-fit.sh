#!/bin/sh
# scale-fit.sh — the sharded closed-form fit at scale: MNIST repeated and
# shifted COPIES times (mnist-shifted.py, made on the fly: each task
# generates its own rows into a pipe, none of them is written to disk), a
# hidden ReLU layer of 392 by random projection (beta 100, ridge 5e4,
# seed 1) and the output layer (ridge 5e4), fitted over K shards: an
# array of `nn-fit-layer --gram`, one fit from the K statistics (-G), an
# array of generator | nn-forward | nn-fit-layer --gram, the output fit.
# With -K 0 the single pass instead: one stream of all the rows into
# nn-fit-layer (no statistics files), then through nn-forward into the
# output layer's fit.
#
#   scale-fit.sh [OPTION]... TRAIN MEANS > net.nns
#
#   -K, --shards=K    shards (default 4; 1 to 64; 0: the single pass)
#   -c, --copies=C    copies of MNIST (default 10: 600000 rows)
#   -w, --work=DIR    work directory (kept; the same DIR resumes)
#   -h, --help        show this help and exit
# Every process of every task runs under /usr/bin/time: DIR/time/
# STAGE.TASK.PROC (PROC gen, fwd or fit) holds its seconds, user
# seconds, system seconds and peak resident kB (the generator's counts
# the pages of DIR/mnist/x.npy it has mapped).  TRAIN, MEANS: mnist.mk's
# train.nns and means.nns, kept as NumPy arrays in DIR/mnist.
# RUNNER=local|slurm (run.sh here); JOBS=1 or NN_ARRAY_MAX=1: one task at
# a time.
# Exit status: 0 success, 1 a task failed, 2 usage error.
# Example: JOBS=1 scale-fit.sh -K 16 -c 100 train.nns means.nns > net.nns
set -eu
help() { sed -n '2,29s/^# \{0,1\}//p' "$0"; }
usage_error() {
    echo "scale-fit.sh: $1" >&2
    echo "Try 'scale-fit.sh --help' for more information." >&2
    exit 2
}
here=$(cd "$(dirname "$0")" && pwd)
FIT1="-m random -w 392 -a relu --alpha 1 --beta 100 -l 5e4 -s 1 --solver chol"
FIT2="-m output -l 5e4 --solver chol"
TIME="/usr/bin/time -f %e\t%U\t%S\t%M"

# _task W STAGE K COPIES (TASK: the shard): the rows of shard TASK of K
# (all of them for K = 0) through the stage's tools
if [ "${1:-}" = _task ]; then
    W=$2 st=$3 K=$4 C=$5 s=$TASK
    N=$((C * 60000)) k=$K
    [ "$K" -gt 0 ] || k=1
    a=$((N * s / k)) b=$((N * (s + 1) / k))
    t=$W/time/$st.$s
    mkdir -p "$W/time"
    rm -f "$t".*
    case $st in gram1 | gram2) out=$W/g${st#gram}.$s.nns ;; single*) out=$W/layer${st#single}.nns ;; esac
    gen() { $TIME -o "$t.gen" /usr/bin/python3 "$here/mnist-shifted.py" "$W/mnist" "$C" $a $b; }
    # each process's times to a file of its own (a pipe's run at once);
    # the shell has no pipefail: the generator's status is in its file
    # shellcheck disable=SC2086 # the options' words
    case $st in
    gram1) gen | $TIME -o "$t.fit" nn-fit-layer --gram -o "$out.tmp" ;;
    gram2) gen | $TIME -o "$t.fwd" nn-forward "$W/layer1.nns" | $TIME -o "$t.fit" nn-fit-layer --gram -o "$out.tmp" ;;
    single1) gen | $TIME -o "$t.fit" nn-fit-layer $FIT1 -o "$out.tmp" ;;
    single2) gen | $TIME -o "$t.fwd" nn-forward "$W/layer1.nns" | $TIME -o "$t.fit" nn-fit-layer $FIT2 -o "$out.tmp" ;;
    esac
    for f in "$t".*; do
        if grep -q '^Command' "$f"; then echo "scale-fit.sh: $f: $(grep '^Command' "$f")" >&2; exit 1; fi
    done
    # a statistics file must hold the shard's rows, all of them
    case $st in gram*)
        n=$(nn-info -H -j "$out.tmp" | tr ',{}' '\n\n\n' | sed -n 's/.*"rows": *"\{0,1\}\([0-9]*\).*/\1/p' | head -1)
        [ "$n" = $((b - a)) ] || { echo "scale-fit.sh: $out: rows '$n', not $((b - a))" >&2; exit 1; } ;;
    esac
    mv "$out.tmp" "$out"
    exit 0
fi
# _fit W LAYER K: the layer from the K statistics files
if [ "${1:-}" = _fit ]; then
    W=$2 l=$3 K=$4
    mkdir -p "$W/time"
    set --
    i=0
    while [ $i -lt "$K" ]; do set -- "$@" -G "$W/g$l.$i.nns"; i=$((i + 1)); done
    opts=$FIT1
    [ "$l" = 1 ] || opts=$FIT2
    # shellcheck disable=SC2086
    $TIME -o "$W/time/fit$l.0.fit" nn-fit-layer $opts "$@" -o "$W/layer$l.tmp"
    mv "$W/layer$l.tmp" "$W/layer$l.nns"
    exit 0
fi

K=4 C=10 W=
while [ $# -gt 0 ]; do
    opt=$1 val= has=
    case $opt in
    --) shift; break ;;
    --*=*) val=${opt#*=} opt=${opt%%=*} has=1 ;;
    -[Kcw]?*) val=${opt#-?} opt=${opt%"$val"} has=1 ;;
    -?*) ;;
    *) break ;;
    esac
    case $opt in
    -h | --help) help; exit 0 ;;
    -K | --shards | -c | --copies | -w | --work)
        if [ -z "$has" ]; then
            [ $# -ge 2 ] || usage_error "option '$opt' requires an argument"
            val=$2
            shift
        fi ;;
    *) usage_error "invalid option '$opt'" ;;
    esac
    shift
    case $opt in
    -K | --shards) K=$val ;;
    -c | --copies) C=$val ;;
    -w | --work) W=$val ;;
    esac
done
for n in "$K" "$C"; do
    case $n in '' | *[!0-9]* | ?????*) usage_error "invalid number '$n'" ;; esac
done
[ "$K" -le 64 ] || usage_error "--shards: 0 to 64"
[ "$C" -ge 1 ] || usage_error "--copies: at least 1"
[ $# -eq 2 ] || usage_error "expected TRAIN and MEANS"
train=$1 means=$2
for f in "$train" "$means"; do [ -r "$f" ] || usage_error "cannot read '$f'"; done
case $train in /*) ;; *) train=$(pwd)/$train ;; esac
case $means in /*) ;; *) means=$(pwd)/$means ;; esac

. "$here/run.sh"
run_workdir scale-fit
me=$here/scale-fit.sh
# MNIST as NumPy arrays, mapped by every task's generator
stage prep 1 "$W/mnist/done" sh -c '/usr/bin/python3 "$1" --save "$2" "$3" "$4" && touch "$2/done"' \
    sh "$here/mnist-shifted.py" "$W/mnist" "$train" "$means"
if [ "$K" = 0 ]; then
    stage single1 1 "$W/layer1.nns" sh "$me" _task "$W" single1 0 "$C"
    stage single2 1 "$W/layer2.nns" sh "$me" _task "$W" single2 0 "$C"
else
    stage gram1 "$K" "$W/g1.%a.nns" sh "$me" _task "$W" gram1 "$K" "$C"
    stage fit1 1 "$W/layer1.nns" sh "$me" _fit "$W" 1 "$K"
    stage gram2 "$K" "$W/g2.%a.nns" sh "$me" _task "$W" gram2 "$K" "$C"
    stage fit2 1 "$W/layer2.nns" sh "$me" _fit "$W" 2 "$K"
fi
stages_wait
cat "$W/layer1.nns" "$W/layer2.nns"
