#!/bin/sh
# fit-net.sh — fit a whole network in closed form, a layer at a time, by
# chaining the tools: nn-fit-layer fits a layer to the current
# representation, nn-forward moves the data through it, and so on; the
# output layer is fitted last (in f32 --through the last hidden layer) and
# the layers are concatenated.
#
#   fit-net.sh [OPTION]... TRAIN WIDTH... > net.nns
#
#       --first-method=M    first hidden layer's method (default sorted-pca)
#   -m, --method=M          the other hidden layers' method (default
#                           platonic-pca)
#   -a, --activation=ACT    hidden activation (default relu)
#       --alpha=ALPHA       target scale alpha (default 1)
#       --beta=BETA         weight of Y in the targets (default 10)
#       --pca=BASIS         Platonic PCA's components: raw (default) or corr
#   -l, --lambda=LAMBDA     ridge of the hidden layers (default 0)
#       --output-lambda=L   ridge of the output layer (default: that of -l)
#       --solver=SOLVER     chol (default), pinv or lstsq
#       --tol=TOL           the solvers' tolerance on singular values
#       --tries=N           random projections: keep the best of N
#       --ema=EMA           re-weight samples by the errors of a decision
#                           layer fitted after each hidden layer (thesis
#                           7.9.3), memory EMA
#   -s, --seed=SEED         seed of the random methods (layer k uses
#                           SEED+k-1; default 1)
#   -t, --dtype=TYPE        f32 (default) or f64: double precision throughout
#                           (weights and activations)
#       --keep=DIR          keep the intermediate streams in DIR
#   -h, --help              show this help and exit
# TRAIN is a stream with x and y (FILE); the network goes to stdout.
# Options are nn-fit-layer's where it has them (see nn-fit-layer(1)).
# Exit status: 0 success, 1 a tool failed, 2 usage error.
# Example: fit-net.sh --first-method random -m random -a celu --beta 1 \
#              --solver pinv --tries 5 -t f64 sine.nns 16 16 > net.nns
set -eu
help() { sed -n '2,35s/^# \{0,1\}//p' "$0"; }
usage_error() { # message
    echo "fit-net.sh: $1" >&2
    echo "Try 'fit-net.sh --help' for more information." >&2
    exit 2
}
first=sorted-pca rest=platonic-pca act=relu alpha=1 beta=10 lambda=0
olambda= solver=chol tol= tries=1 ema= seed=1 dt=f32 keep= pca=raw through=
while [ $# -gt 0 ]; do
    opt=$1 val= has=
    case $opt in
    --) shift; break ;;
    --*=*) val=${opt#*=} opt=${opt%%=*} has=1 ;;
    -[malst]?*) val=${opt#-?} opt=${opt%"$val"} has=1 ;;
    -?*) ;;
    *) break ;;
    esac
    case $opt in
    -h | --help) help; exit 0 ;;
    --first-method | -m | --method | -a | --activation | --alpha | --beta | \
    --pca | -l | --lambda | --output-lambda | --solver | --tol | --tries | \
    --ema | -s | --seed | -t | --dtype | --keep)
        if [ -z "$has" ]; then
            [ $# -ge 2 ] || usage_error "option '$opt' requires an argument"
            val=$2
            shift
        fi ;;
    *) usage_error "invalid option '$opt'" ;;
    esac
    shift
    case $opt in
    --first-method) first=$val ;;
    -m | --method) rest=$val ;;
    -a | --activation) act=$val ;;
    --alpha) alpha=$val ;;
    --beta) beta=$val ;;
    --pca) pca=$val ;;
    -l | --lambda) lambda=$val ;;
    --output-lambda) olambda=$val ;;
    --solver) solver=$val ;;
    --tol) tol=$val ;;
    --tries) tries=$val ;;
    --ema) ema=$val ;;
    -s | --seed) seed=$val ;;
    -t | --dtype) dt=$val ;;
    --keep) keep=$val ;;
    esac
done
# the seed goes through the shell's arithmetic, which reads anything else
# (a word as an unset variable, 0) without a word
case $seed in
'' | *[!0-9]*) usage_error "invalid --seed '$seed': not a whole number" ;;
??????????????????*) usage_error "invalid --seed '$seed': must be below 10^17" ;;
esac
case $dt in
f32 | f64) ;;
*) usage_error "invalid --dtype '$dt': expected f32 or f64" ;;
esac
[ $# -ge 1 ] || usage_error "missing TRAIN"
train=$1
shift
: "${olambda:=$lambda}"

if [ -n "$keep" ]; then T=$keep; mkdir -p "$T"
else T=$(mktemp -d "${TMPDIR:-/tmp}/fit-net.XXXXXX"); trap 'rm -rf "$T"' EXIT; fi

z=$train k=0 layers= n=$#
for width in "$@"; do
    k=$((k + 1))
    method=$rest
    [ $k -eq 1 ] && method=$first
    weights=
    if [ -n "$ema" ] && [ $k -gt 1 ] && [ "$method" = platonic-pca ]; then
        # the errors of a decision layer on the current representation
        nn-fit-layer -m output -l "$olambda" --solver "$solver" -t $dt "$z" > "$T/decision$k.nns"
        nn-reweight --ema "$ema" "$T/decision$k.nns" "$z" > "$T/w$k.nns"
        z=$T/w$k.nns weights="--weights d"
    fi
    set -- -m "$method" -w "$width" -a "$act" --alpha "$alpha" --beta "$beta" \
        -l "$lambda" --solver "$solver" ${tol:+--tol $tol} -t $dt -s $((seed + k - 1))
    [ "$method" = random ] && set -- "$@" --tries "$tries"
    [ "$method" = platonic-pca ] && set -- "$@" --pca "$pca"
    nn-fit-layer "$@" $weights "$z" > "$T/layer$k.nns"
    layers="$layers $T/layer$k.nns"
    # in f32 the output layer takes the last representation --through the
    # last layer (nn-forward's pass, not written out: the same bytes)
    if [ $k -lt $n ] || [ $dt = f64 ]; then
        nn-forward -t $dt "$T/layer$k.nns" "$z" > "$T/z$k.nns"
        z=$T/z$k.nns
    else
        through=$T/layer$k.nns
    fi
done
nn-fit-layer -m output -l "$olambda" --solver "$solver" -t $dt \
    ${through:+--through "$through"} "$z" > "$T/output.nns"
cat $layers "$T/output.nns"
