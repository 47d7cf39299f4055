#!/bin/sh
# sharded-fit.sh — fit-net.sh over K shards of the data: the rows are split
# once (nn-split), each layer's Gram statistics are computed per shard by a
# job array (nn-fit-layer --gram), one dependent job fits the layer from
# their sum (-G), an array moves the shards through it (nn-forward), and
# so on to the output layer.  The network is the one a single pass over
# all the rows gives (fit-net.sh with the same options), to rounding.
#
#   sharded-fit.sh [OPTION]... TRAIN WIDTH... > net.nns
#
#   -K, --shards=K          shards (default 4; 1 to 64, nn-fit-layer's -G)
#       --first-method=M    first hidden layer: random (default) or
#                           platonic-pca (the methods that fit from
#                           statistics)
#   -m, --method=M          the other hidden layers (default platonic-pca)
#   -a, --activation=ACT    hidden activation (default relu)
#       --alpha=ALPHA       target scale (default 1)
#       --beta=BETA         weight of Y in the targets (default 10)
#       --pca=BASIS         raw (default) or corr
#   -l, --lambda=LAMBDA     ridge of the hidden layers (default 0)
#       --output-lambda=L   ridge of the output layer (default: -l's)
#       --solver=SOLVER     chol (default) or pinv
#   -s, --seed=SEED         layer k uses SEED+k-1 (default 1)
#   -t, --dtype=TYPE        f32 (default) or f64
#   -w, --work=DIR          work directory (shards, statistics, layers,
#                           logs in DIR/log), kept: run again with the same
#                           DIR to resume; default a temporary one, removed
#                           on success and kept (and named) on failure
#   -h, --help              show this help and exit
# RUNNER=local|slurm chooses where the tasks run (see run.sh in this
# directory).  Exit status: 0 success, 1 a task failed, 2 usage error.
# Example: RUNNER=slurm sharded-fit.sh -K 16 -l 5e4 train.nns 392 > net.nns
set -eu
help() { sed -n '2,31s/^# \{0,1\}//p' "$0"; }
usage_error() {
    echo "sharded-fit.sh: $1" >&2
    echo "Try 'sharded-fit.sh --help' for more information." >&2
    exit 2
}
K=4 first=random rest=platonic-pca act=relu alpha=1 beta=10 pca=raw lambda=0
olambda= solver=chol seed=1 dt=f32 W=
while [ $# -gt 0 ]; do
    opt=$1 val= has=
    case $opt in
    --) shift; break ;;
    --*=*) val=${opt#*=} opt=${opt%%=*} has=1 ;;
    -[Kmalstw]?*) val=${opt#-?} opt=${opt%"$val"} has=1 ;;
    -?*) ;;
    *) break ;;
    esac
    case $opt in
    -h | --help) help; exit 0 ;;
    -K | --shards | --first-method | -m | --method | -a | --activation | --alpha | \
    --beta | --pca | -l | --lambda | --output-lambda | --solver | -s | --seed | \
    -t | --dtype | -w | --work)
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
    --first-method) first=$val ;;
    -m | --method) rest=$val ;;
    -a | --activation) act=$val ;;
    --alpha) alpha=$val ;;
    --beta) beta=$val ;;
    --pca) pca=$val ;;
    -l | --lambda) lambda=$val ;;
    --output-lambda) olambda=$val ;;
    --solver) solver=$val ;;
    -s | --seed) seed=$val ;;
    -t | --dtype) dt=$val ;;
    -w | --work) W=$val ;;
    esac
done
case $K in '' | *[!0-9]*) usage_error "invalid --shards '$K': not a whole number" ;; esac
[ "$K" -ge 1 ] && [ "$K" -le 64 ] || usage_error "invalid --shards '$K': 1 to 64"
case $seed in '' | *[!0-9]* | ??????????????????*) usage_error "invalid --seed '$seed'" ;; esac
for m in $first $rest; do
    case $m in random | platonic-pca) ;;
    *) usage_error "method '$m' does not fit from statistics (random or platonic-pca)" ;; esac
done
[ $# -ge 1 ] || usage_error "missing TRAIN"
train=$1
shift
[ -r "$train" ] || usage_error "cannot read '$train'"
: "${olambda:=$lambda}"

case $train in /*) ;; *) train=$(pwd)/$train ;; esac
. "$(dirname "$0")/run.sh"
run_workdir sharded-fit

# G FILE-PATTERN: the -G options of the K statistics files
G() { i=0; while [ $i -lt "$K" ]; do printf ' -G %s' "$(printf "$1" $i)"; i=$((i + 1)); done; }

stage split 1 "$W/z0.$(printf %03d $((K - 1))).nns" nn-split --shards="$K" "$W/z0" "$train"
k=0 layers=
for width in "$@" output; do
    k=$((k + 1))
    stage gram$k "$K" "$W/g$k.%3a.nns" nn-fit-layer --gram -o "$W/g$k.%3a.nns" "$W/z$((k - 1)).%3a.nns"
    if [ "$width" = output ]; then
        set -- -m output -l "$olambda"
    else
        method=$rest
        [ $k -eq 1 ] && method=$first
        set -- -m "$method" -w "$width" -a "$act" --alpha "$alpha" --beta "$beta" \
            -l "$lambda" -s $((seed + k - 1))
        [ "$method" = platonic-pca ] && set -- "$@" --pca "$pca"
    fi
    # shellcheck disable=SC2046
    stage fit$k 1 "$W/layer$k.nns" nn-fit-layer "$@" --solver "$solver" -t "$dt" \
        $(G "$W/g$k.%03d.nns") -o "$W/layer$k.nns"
    layers="$layers $W/layer$k.nns"
    [ "$width" = output ] ||
        stage fwd$k "$K" "$W/z$k.%3a.nns" nn-forward -t "$dt" -o "$W/z$k.%3a.nns" "$W/layer$k.nns" "$W/z$((k - 1)).%3a.nns"
done
stages_wait
cat $layers
