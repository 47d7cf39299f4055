#!/bin/sh
# fit.sh — closed-form fits of MNIST against the BLAS/LAPACK work they
# cannot avoid (bench/fit_blas.c) and, for the sorted-PCA fit of width 392
# with its ridge output layer (the README's first example), against a
# straightforward PyTorch version (bench/fit_torch.py), under both OpenBLAS
# settings: the machine's OPENBLAS_CORETYPE (as the environment sets it)
# and OpenBLAS's own choice (the variable unset for the run); then the
# methods' limits against their times, and peak memory on MNIST and on
# MNIST ten times.  Writes bench/results/fit.md.
#
# FIT_PARTS (default "torch methods memory") runs only those parts, so that
# a shared machine is held quiet for less at a time: e.g.
#   FIT_PARTS=torch bench/fit.sh; FIT_PARTS="methods memory" BENCH_OUT=... bench/fit.sh
# each page then holds the parts it ran, with its own loads.  FIT_SETTINGS
# (default "machine openblas") the OpenBLAS settings of the torch part.
set -eu
PARTS=${FIT_PARTS:-torch methods memory}
part() { case " $PARTS " in *" $1 "*) return 0 ;; esac; return 1; }

cd "$(dirname "$0")/.."
. bench/lib.sh
header "nn-fit-layer benchmarks"

say "making the centred training set and the BLAS reference"
mnist_centred "$T/train.nns"
${CC:-cc} -O2 -o "$T/fit_blas" bench/fit_blas.c -lopenblas
CORETYPE=${OPENBLAS_CORETYPE:-}

# median ARGS...: the line of fit_blas ARGS whose total is the median of 3
median() {
    for i in 1 2 3; do "$T/fit_blas" "$@"; done >"$T/blas"
    b=$(awk '{ print $NF }' "$T/blas" | sort -n | sed -n 2p)
    awk -v b="$b" '$NF == b' "$T/blas" | head -1
}
row() { awk -v n="$1" -v t="$2" -v b="$3" 'BEGIN { printf "| %s | %.3f | %.2f |\n", n, t, t / b }' >>"$R"; }

FIT="nn-fit-layer -m sorted-pca -w 392 \$T/train.nns > \$T/l1.nns && nn-fit-layer -m output -l 5e4 --through \$T/l1.nns \$T/train.nns > \$T/out.nns && cat \$T/l1.nns \$T/out.nns > \$T/net.nns"
FIT32="nn-fit-layer -m sorted-pca -w 392 \$T/train.nns > \$T/l1.nns && nn-fit-layer -m output -l 5e4 --gram-precision f32 --through \$T/l1.nns \$T/train.nns > \$T/out32.nns && cat \$T/l1.nns \$T/out32.nns > \$T/net32.nns"
PIPE="nn-fit-layer -m sorted-pca -w 392 \$T/train.nns > \$T/l1.nns && nn-forward \$T/l1.nns \$T/train.nns | nn-fit-layer -m output -l 5e4 > \$T/outp.nns && cat \$T/l1.nns \$T/outp.nns > \$T/netp.nns"

# setting NAME: the sorted-PCA fit under the OpenBLAS setting of the
# environment, its parts, PyTorch, the BLAS work
setting() {
    s=$1
    say "setting $s (OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset})"
    bench "fit_$s" "$FIT"
    bench "fit32_$s" "$FIT32"
    bench "pipe_$s" "$PIPE"
    bench "sorted_$s" "nn-fit-layer -m sorted-pca -w 392 \$T/train.nns > \$T/l1.nns"
    bench "output_$s" "nn-fit-layer -m output -l 5e4 --through \$T/l1.nns \$T/train.nns > \$T/out.nns"
    bench "output32_$s" "nn-fit-layer -m output -l 5e4 --gram-precision f32 --through \$T/l1.nns \$T/train.nns > \$T/out32.nns"
    /usr/bin/python3 bench/fit_torch.py "$T/train.nns" >"$T/torch_$s" 2>/dev/null || : >"$T/torch_$s"
    median sorted-pca 60000 784 392 10 >"$T/blas_$s"
    median sorted-pca-f64 60000 784 392 10 >"$T/blas64_$s"
}

if part torch; then
SETTINGS=
case " ${FIT_SETTINGS:-machine openblas} " in
*" machine "*) setting machine; SETTINGS=machine ;;
esac
case " ${FIT_SETTINGS:-machine openblas} " in
*" openblas "*) if [ -n "$CORETYPE" ]; then
    (unset OPENBLAS_CORETYPE; setting openblas)
    SETTINGS="$SETTINGS openblas"
fi ;;
esac
acc=$(nn-forward "$T/net.nns" "$T/train.nns" | nn-eval -q)
acc32=$(nn-forward "$T/net32.nns" "$T/train.nns" | nn-eval -q)
accp=$(nn-forward "$T/netp.nns" "$T/train.nns" | nn-eval -q)
tv=$(/usr/bin/python3 -c 'import torch; print(torch.__version__)')
# Debian's PyTorch calls the BLAS of libblas.so.3 (BLAS_INFO=generic)
case $(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3 2>/dev/null) in
*openblas*) tb="OpenBLAS too, through libblas.so.3" ;;
*) tb="the BLAS of libblas.so.3" ;;
esac

md "## What the fit does now"
md ""
md "Sorted PCA no longer sums the Gram matrix of X in double precision to find the"
md "first principal component: nn_pc (lib/linalg/nn_pc.c) sums the covariance in"
md "single precision (ssyrk, half the work), takes its leading eigenvector, and"
md "refines it with one pass in double precision (a Davidson step preconditioned by"
md "the single-precision covariance), to within 1e-14 of the double-precision one: the"
md "same rows, the same layer bytes (\`bench/fit_pc.py\`, nn-fit-layer(1) PRECISION)."
md "The refining pass reads the f32 rows as they are and leaves each row's key x c0;"
md "those keys rank the rows to within a bound (nn_nearsel), and the gathering pass"
md "takes the exact keys of the few rows near the ranks: three passes over the data,"
md "not four (the same picks as ranking every row exactly)."
md "The output layer takes the data through the hidden layer itself"
md "(\`--through l1.nns\`: nn-forward's single-precision pass and the Gram matrix in"
md "one pass, no pipe; the same bytes as the pipe). \`--gram-precision f32\` sums the"
md "output layer's Gram matrix of [1 Z Y] in f32 blocks less their means, in f64."
md ""
md "## The sorted-PCA fit of width 392 and its output layer, against PyTorch"
md ""
md "MNIST training set (60000x784 f32, centred), sorted PCA for 392 ReLU units and a"
md "ridge output layer (lambda 5e4), from the stream; the fitted network's training"
md "accuracy: $acc% ($accp% through the pipe, $acc32% with the output layer's Gram"
md "matrix in single precision). Both the tools (OpenBLAS) and PyTorch ($tb) use the"
md "machine's $(nproc) CPUs (OpenBLAS's default threads; torch.set_num_threads($(nproc)))."
md "OpenBLAS settings: OPENBLAS_CORETYPE=${CORETYPE:-unset} (the machine's) and unset"
md "(OpenBLAS's own choice); OPENBLAS_L2_SIZE=${OPENBLAS_L2_SIZE:-unset},"
md "OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-unset} in both."
md ""
for s in $SETTINGS; do
    set -- $(cat "$T/torch_$s") "" ""
    load_t=$1 torch=$2
    blas=$(awk '{ print $NF }' "$T/blas_$s")
    case $s in
    machine) md "### OPENBLAS_CORETYPE=${CORETYPE:-unset}" ;;
    *) md "### OPENBLAS_CORETYPE unset (OpenBLAS's own choice)" ;;
    esac
    md ""
    md "| what | seconds | × BLAS |"
    md "|---|--:|--:|"
    row "BLAS/LAPACK calls alone (\`fit_blas sorted-pca 60000 784 392 10\`, median of 3)" "$blas" "$blas"
    row "the same with the double-precision Gram of X (\`fit_blas sorted-pca-f64 ...\`, as before)" "$(awk '{ print $NF }' "$T/blas64_$s")" "$blas"
    row "the whole fit: $(cell "$(echo "$FIT" | sed 's/\$T\///g')")" "$(field "fit_$s" 3)" "$blas"
    row "… of which \`nn-fit-layer -m sorted-pca -w 392\` (three passes over the data)" "$(field "sorted_$s" 3)" "$blas"
    row "… \`nn-fit-layer -m output -l 5e4 --through l1.nns\` (one pass)" "$(field "output_$s" 3)" "$blas"
    row "the whole fit, the output layer's Gram in single precision (\`--gram-precision f32\`)" "$(field "fit32_$s" 3)" "$blas"
    row "… of which the output layer" "$(field "output32_$s" 3)" "$blas"
    row "the whole fit through a pipe: $(cell "$(echo "$PIPE" | sed 's/\$T\///g')")" "$(field "pipe_$s" 3)" "$blas"
    if [ -n "$torch" ]; then
        row "PyTorch $tv, the same fit (\`bench/fit_torch.py\`, best of 3; data in memory)" "$torch" "$blas"
        row "… PyTorch reading the stream first (\`examples/nns_read.py\`)" "$load_t" "$blas"
        awk -v t="$torch" -v a="$(field "fit_$s" 3)" -v b="$(field "fit32_$s" 3)" -v p="$(field "pipe_$s" 3)" 'BEGIN {
            printf "\nPyTorch / the tools: %.2fx (f64 Gram matrices), %.2fx (the output Gram in f32), %.2fx (through the pipe); means of the runs against PyTorch'\''s best of 3.\n", t / a, t / b, t / p }' >>"$R"
    fi
    md ""
    md "The BLAS steps, seconds: $(cat "$T/blas_$s"); with the f64 Gram: $(cat "$T/blas64_$s")."
    md ""
done

fi

if part methods; then
say "the methods' limits"
md "## Each method: the BLAS work it cannot avoid, and what it takes"
md ""
md "One hidden layer of WIDTH ReLU units fitted as in Table 7.2 (pipelines/table72.sh:"
md "random \`--beta 100 -l 5e4\`, platonic-pca \`--pca corr --beta 1e4 -l 5e4\`), then the"
md "output layer \`-l 5e4 --through\`; the demo's 784-784-392-10 network as"
md "pipelines/demo.mk fits it (\`pipelines/fit-net.sh --first-method sorted-pca -m"
md "platonic-pca --beta 1e6 -l 0.03 --ema 0.2 train.nns 784 392\`: nn-forward after"
md "the first layer, a decision layer and nn-reweight before the second, the output"
md "layer --through the second). Limit: the"
md "BLAS/LAPACK calls of \`fit_blas METHOD 60000 784 WIDTH 10\` (median of 3; for the"
md "demo \`fit_blas demo 60000 784 784 10\`), OPENBLAS_CORETYPE=${CORETYPE:-unset}."
md "Time: \`hyperfine --runs 3\` (the demo: 2 runs), mean."
md ""
md "| method | width | limit (s) | the tools (s) | × limit | limit steps |"
md "|---|--:|--:|--:|--:|---|"
for w in 392 1568; do
    for m in sorted-pca random platonic-pca; do
        case $m in
        sorted-pca) opts="-m sorted-pca" ;;
        random) opts="-m random --beta 100 -l 5e4" ;;
        platonic-pca) opts="-m platonic-pca --pca corr --beta 1e4 -l 5e4"
            [ $w -le 784 ] || continue ;;
        esac
        line=$(median $m 60000 784 $w 10)
        bench "lim_${m}_$w" "nn-fit-layer $opts -w $w \$T/train.nns > \$T/h.nns && nn-fit-layer -m output -l 5e4 --through \$T/h.nns \$T/train.nns > \$T/o.nns" --warmup 0 --runs 3
        awk -v m="$m" -v w="$w" -v l="$line" -v t="$(field "lim_${m}_$w" 3)" 'BEGIN {
            n = split(l, f, " "); lim = f[n]; s = ""
            for (i = 1; i < n - 1; i += 2) s = s (s ? ", " : "") f[i] " " f[i + 1]
            printf "| %s | %d | %.3f | %.3f | %.2f | %s |\n", m, w, lim, t, t / lim, s }' >>"$R"
    done
done
line=$(median demo 60000 784 784 10)
bench lim_demo "sh pipelines/fit-net.sh --first-method sorted-pca -m platonic-pca --beta 1e6 -l 0.03 --ema 0.2 \$T/train.nns 784 392 > \$T/demo.nns" --warmup 0 --runs 2
awk -v l="$line" -v t="$(field lim_demo 3)" 'BEGIN {
    n = split(l, f, " "); lim = f[n]; s = ""
    for (i = 1; i < n - 1; i += 2) s = s (s ? ", " : "") f[i] " " f[i + 1]
    printf "| demo 784-784-392-10 | 784, 392 | %.3f | %.3f | %.2f | %s |\n", lim, t, t / lim, s }' >>"$R"
md ""

fi

if part memory; then
say "peak memory"
[ -f "$T/l1.nns" ] || nn-fit-layer -m sorted-pca -w 392 "$T/train.nns" > "$T/l1.nns"
md "## Peak memory"
md ""
r1=$(rss "" "nn-fit-layer -m random -w 392 -l 5e4 \$T/train.nns")
r10=$(rss "$(ten \$T/train.nns)" "nn-fit-layer -m random -w 392 -l 5e4")
s1=$(rss "" "nn-fit-layer -m sorted-pca -w 392 \$T/train.nns")
s10=$(rss "$(ten \$T/train.nns)" "nn-fit-layer -m sorted-pca -w 392")
o1=$(rss "" "nn-fit-layer -m output -l 5e4 --through \$T/l1.nns \$T/train.nns")
o10=$(rss "$(ten \$T/train.nns)" "nn-fit-layer -m output -l 5e4 --through \$T/l1.nns")
md "| fit | 60000 rows | 600000 rows (the stream 10 times, a pipe) |"
md "|---|--:|--:|"
md "| \`nn-fit-layer -m random -w 392 -l 5e4\` (one pass: the Gram matrix) | $r1 MiB | $r10 MiB |"
md "| \`nn-fit-layer -m sorted-pca -w 392\` (a pipe is copied to \$TMPDIR first) | $s1 MiB | $s10 MiB |"
md "| \`nn-fit-layer -m output -l 5e4 --through l1.nns\` | $o1 MiB | $o10 MiB |"
md ""
md "Sorted PCA holds the covariance (784x784 in f64, once more in f32 for a block,"
md "and its eigenvectors), a block of rows, and ranks the rows exactly within a"
md "fixed budget: up to 2^18 rows, the refining pass's keys (8 bytes a row, 16"
md "while choosing the rows near the ranks: at most 4 MiB), beyond that the exact"
md "ranking passes (2^18 counters or collected keys, at most 6 MiB; 600000 rows take"
md "a counting pass first). Nothing grows with the rows past 2^18."
md ""
fi
footer
