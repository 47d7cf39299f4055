#!/bin/sh
# fit-net.sh — fit a whole network in closed form, a layer at a time, by
# chaining the tools: nn-fit-layer fits a layer to the current
# representation, nn-forward moves the data through it, and so on; the
# output layer is fitted last and the layers are concatenated.
#
#   fit-net.sh [OPTION]... TRAIN WIDTH... > net.nns
#
#   -f METHOD   first hidden layer's method (default sorted-pca)
#   -r METHOD   the other hidden layers' method (default platonic-pca)
#   -a ACT      hidden activation (default relu)
#   -A ALPHA    target scale alpha (default 1)
#   -b BETA     weight of Y in the targets (default 10)
#   -P BASIS    Platonic PCA's components: raw (default) or corr
#   -l LAMBDA   ridge of the hidden layers (default 0)
#   -L LAMBDA   ridge of the output layer (default: that of -l)
#   -s SOLVER   chol (default), pinv or lstsq
#   -T TOL      the solvers' tolerance on singular values
#   -n TRIES    random projections: keep the best of TRIES
#   -e EMA      re-weight samples by the errors of a decision layer fitted
#               after each hidden layer (thesis 7.9.3), memory EMA
#   -S SEED     seed of the random methods (layer k uses SEED+k-1)
#   -d          double precision throughout (f64 weights and activations)
#   -k DIR      keep the intermediate streams in DIR
# TRAIN is a stream with x and y (FILE); the network goes to stdout.
set -eu
first=sorted-pca rest=platonic-pca act=relu alpha=1 beta=10 lambda=0
olambda= solver=chol tol= tries=1 ema= seed=1 f64= keep= pca=raw
while getopts f:r:a:A:b:P:l:L:s:T:n:e:S:dk: o; do
    case $o in
    f) first=$OPTARG ;; r) rest=$OPTARG ;; a) act=$OPTARG ;;
    A) alpha=$OPTARG ;; b) beta=$OPTARG ;; P) pca=$OPTARG ;; l) lambda=$OPTARG ;;
    L) olambda=$OPTARG ;; s) solver=$OPTARG ;; T) tol=$OPTARG ;;
    n) tries=$OPTARG ;;
    e) ema=$OPTARG ;; S) seed=$OPTARG ;; d) f64=1 ;; k) keep=$OPTARG ;;
    *) sed -n '2,28s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || { echo "fit-net.sh: missing TRAIN" >&2; exit 2; }
train=$1
shift
: "${olambda:=$lambda}"

if [ -n "$keep" ]; then T=$keep; mkdir -p "$T"
else T=$(mktemp -d "${TMPDIR:-/tmp}/fit-net.XXXXXX"); trap 'rm -rf "$T"' EXIT; fi
fwd=nn-forward dt=f32
[ -z "$f64" ] || { fwd="nn-forward -d"; dt=f64; }

z=$train k=0 layers=
for width in "$@"; do
    k=$((k + 1))
    method=$rest
    [ $k -eq 1 ] && method=$first
    weights=
    if [ -n "$ema" ] && [ $k -gt 1 ] && [ "$method" = platonic-pca ]; then
        # the errors of a decision layer on the current representation
        nn-fit-layer -m output -l "$olambda" -s "$solver" -t $dt "$z" > "$T/decision$k.nns"
        nn-reweight -e "$ema" "$T/decision$k.nns" "$z" > "$T/w$k.nns"
        z=$T/w$k.nns weights="--weights d"
    fi
    set -- -m "$method" -w "$width" -a "$act" --alpha "$alpha" --beta "$beta" \
        -l "$lambda" -s "$solver" ${tol:+--tol $tol} -t $dt --seed $((seed + k - 1))
    [ "$method" = random ] && set -- "$@" -n "$tries"
    [ "$method" = platonic-pca ] && set -- "$@" --pca "$pca"
    nn-fit-layer "$@" $weights "$z" > "$T/layer$k.nns"
    $fwd "$T/layer$k.nns" "$z" > "$T/z$k.nns"
    z=$T/z$k.nns layers="$layers $T/layer$k.nns"
done
nn-fit-layer -m output -l "$olambda" -s "$solver" -t $dt "$z" > "$T/output.nns"
cat $layers "$T/output.nns"
