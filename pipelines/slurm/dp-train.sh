#!/bin/sh
# dp-train.sh — data-parallel training with a quantized exchange (thesis
# ch. 3): the training rows are split into K shards; every round, a job
# array of K workers trains the current network for one epoch of its
# shard (nn-train, each worker keeping its optimizer's moments in a
# --state file of its own) and quantizes the result (nn-quantize); a
# dependent job averages the K quantized networks (nn-average decodes
# them) into the next round's network and scores it on TEST.
#
#   dp-train.sh [OPTION]... TRAIN TEST > rounds.tsv
#
#   -K, --workers=K       workers (default 4)
#   -r, --rounds=R        rounds (default 5)
#       --arch=ARCH       nn-init's widths (default 784-392-50-10)
#   -a, --activation=ACT  hidden activation (default tanh; the output is
#                         identity, the loss MSE, unless --init-opts and
#                         --train-opts say otherwise)
#       --init-opts=OPTS  more nn-init options, words split on blanks
#                         (e.g. "-O tanh --scheme glorot-uniform")
#       --train-opts=OPTS more nn-train options, split the same way
#                         (e.g. "--optimizer sgd --objective mse")
#   -q, --quantize=Q      the exchange: none (f32), bits:N (fixed N bits),
#                         dynamic:C (Algorithm 1, floor C, Huffman-coded)
#   -b, --batch=N         nn-train's mini-batch (default 64)
#       --lr=RATE         nn-train's learning rate (default its own)
#   -s, --seed=S          seed of the initial network (default 1); worker
#                         i of round r shuffles with seed 1000 S + K r + i
#   -w, --work=DIR        work directory (kept: the same DIR resumes;
#                         default a temporary one, removed on success)
#   -h, --help            show this help and exit
# Writes a row per round: round, test accuracy (%) of the averaged
# network, mean bits per parameter of a worker's upload, bits uploaded by
# all workers, and the mean bits of a code before entropy coding (the
# layers' N weighted by their parameters; none: 32).  RUNNER=local|slurm
# (see run.sh here); NN_ARRAY_MAX=1 or JOBS=1 run one worker at a time.
# Exit status: 0 success, 1 a task failed, 2 usage error.
# Example: RUNNER=slurm dp-train.sh -q dynamic:5 train.nns test.nns
set -eu
help() { sed -n '2,39s/^# \{0,1\}//p' "$0"; }
usage_error() {
    echo "dp-train.sh: $1" >&2
    echo "Try 'dp-train.sh --help' for more information." >&2
    exit 2
}

# a worker: _worker W ROUND K QUANT BATCH LR SEED TRAIN_OPTS (TASK: the worker)
if [ "${1:-}" = _worker ]; then
    W=$2 r=$3 K=$4 quant=$5 batch=$6 lr=$7 seed=$8 topts=$9 i=$TASK
    # the state of the round before, copied: a re-run of this round
    # starts from the same moments
    rm -f "$W/state.$r.$i"
    [ ! -e "$W/state.$((r - 1)).$i" ] || cp "$W/state.$((r - 1)).$i" "$W/state.$r.$i"
    # shellcheck disable=SC2086 # the options' words
    nn-train -e 1 -b "$batch" ${lr:+--lr "$lr"} $topts -s $((1000 * seed + K * r + i)) \
        --state "$W/state.$r.$i" -o "$W/t.$r.$i.nns" "$W/net$((r - 1)).nns" "$W/shard.$(printf %03d "$i").nns"
    case $quant in
    none) cp "$W/t.$r.$i.nns" "$W/q.$r.$i.tmp" && mv "$W/q.$r.$i.tmp" "$W/q.$r.$i.nns" ;;
    bits:*) nn-quantize --bits "${quant#bits:}" --report "$W/rep.$r.$i.txt" -o "$W/q.$r.$i.nns" "$W/t.$r.$i.nns" ;;
    dynamic:*) nn-quantize --dynamic --floor "${quant#dynamic:}" --report "$W/rep.$r.$i.txt" \
        -o "$W/q.$r.$i.nns" "$W/t.$r.$i.nns" ;;
    esac
    rm -f "$W/t.$r.$i.nns"
    exit 0
fi
# the average: _average W ROUND K TEST
if [ "${1:-}" = _average ]; then
    W=$2 r=$3 K=$4 test=$5
    i=0 qs=
    while [ $i -lt "$K" ]; do qs="$qs $W/q.$r.$i.nns"; i=$((i + 1)); done
    nn-average -o "$W/avg.$r.nns" $qs
    nn-forward "$W/avg.$r.nns" "$test" | nn-eval -q > "$W/acc.$r"
    mv "$W/avg.$r.nns" "$W/net$r.nns"
    exit 0
fi

K=4 R=5 arch=784-392-50-10 act=tanh quant=none batch=64 lr= seed=1 W= iopts= topts=
while [ $# -gt 0 ]; do
    opt=$1 val= has=
    case $opt in
    --) shift; break ;;
    --*=*) val=${opt#*=} opt=${opt%%=*} has=1 ;;
    -[Kraqbsw]?*) val=${opt#-?} opt=${opt%"$val"} has=1 ;;
    -?*) ;;
    *) break ;;
    esac
    case $opt in
    -h | --help) help; exit 0 ;;
    -K | --workers | -r | --rounds | --arch | -a | --activation | -q | --quantize | \
    -b | --batch | --lr | -s | --seed | -w | --work | --init-opts | --train-opts)
        if [ -z "$has" ]; then
            [ $# -ge 2 ] || usage_error "option '$opt' requires an argument"
            val=$2
            shift
        fi ;;
    *) usage_error "invalid option '$opt'" ;;
    esac
    shift
    case $opt in
    -K | --workers) K=$val ;;
    -r | --rounds) R=$val ;;
    --arch) arch=$val ;;
    -a | --activation) act=$val ;;
    -q | --quantize) quant=$val ;;
    -b | --batch) batch=$val ;;
    --lr) lr=$val ;;
    -s | --seed) seed=$val ;;
    -w | --work) W=$val ;;
    --init-opts) iopts=$val ;;
    --train-opts) topts=$val ;;
    esac
done
for n in "$K" "$R" "$seed" "$batch"; do
    case $n in '' | *[!0-9]* | ??????????*) usage_error "invalid number '$n'" ;; esac
done
[ "$K" -ge 1 ] && [ "$K" -le 999 ] || usage_error "--workers: 1 to 999"
case $quant in
none | bits:[0-9]* | dynamic:[0-9]*) ;;
*) usage_error "invalid --quantize '$quant': none, bits:N or dynamic:C" ;;
esac
[ $# -eq 2 ] || usage_error "expected TRAIN and TEST"
train=$1 test=$2
for f in "$train" "$test"; do [ -r "$f" ] || usage_error "cannot read '$f'"; done
case $train in /*) ;; *) train=$(pwd)/$train ;; esac
case $test in /*) ;; *) test=$(pwd)/$test ;; esac

. "$(dirname "$0")/run.sh"
run_workdir dp-train
me=$(cd "$(dirname "$0")" && pwd)/dp-train.sh

stage split 1 "$W/shard.$(printf %03d $((K - 1))).nns" nn-split --shards="$K" "$W/shard" "$train"
# shellcheck disable=SC2086 # the options' words
stage init 1 "$W/net0.nns" nn-init -a "$act" $iopts -s "$seed" -o "$W/net0.nns" "$arch"
r=1
while [ $r -le "$R" ]; do
    stage train$r "$K" "$W/q.$r.%a.nns" sh "$me" _worker "$W" $r "$K" "$quant" "$batch" "$lr" "$seed" "$topts"
    stage average$r 1 "$W/net$r.nns" sh "$me" _average "$W" $r "$K" "$test"
    r=$((r + 1))
done
stages_wait

# the rows: bits from the reports' "all" lines (none: 32 bits, the floats)
params=$(nn-info -H -j "$W/net0.nns" | awk -F'"shape": *\\[' '/"name": *"w"/ {
    split($2, a, /[],]/); n += a[1] * a[2] } END { print n }')
printf 'round\ttest_acc\tbits_per_param\tbits_uploaded\tbits_raw\n'
r=1
while [ $r -le "$R" ]; do
    if [ "$quant" = none ]; then
        bpp=32 bits=$((32 * params * K)) raw=32
    else
        set -- $(cat "$W"/rep.$r.*.txt | awk '$1 == "all" { b += $3; p += $2 }
            $1 ~ /^[0-9]+$/ { nb += $2 * $6; np += $2 }
            END { printf "%.3f %d %.3f", 8 * b / p, 8 * b, nb / np }')
        bpp=$1 bits=$2 raw=$3
    fi
    printf '%d\t%s\t%s\t%s\t%s\n' $r "$(cat "$W/acc.$r")" "$bpp" "$bits" "$raw"
    r=$((r + 1))
done
