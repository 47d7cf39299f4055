#!/bin/sh
# stream.sh — benchmarks of the stream foundation: reading, verifying and
# passing through a 188 MB stream (against cat), the peak memory of the
# readers on a 1x and a 10x stream, and importing MNIST.
#
# Run from anywhere (make bench runs it); prints a Markdown report on stdout
# and writes it to bench/results/stream.md.  Progress goes to stderr.
# Needs: hyperfine, /usr/bin/time (GNU), gzip, data/mnist (and data/fashion,
# else that part is skipped), the tools built in bin/; the zstd command for
# the reference sizes, else they are left out.
#
# Environment: NN_BIN (directory of the tools, default bin/), BENCH_RUNS
# (hyperfine --min-runs, default 5), BENCH_OUT (report file),
# BENCH_Z19=0 to skip the slow zstd level 19 import.
set -eu

cd "$(dirname "$0")/.."
WARMUP=2
. bench/lib.sh
Z19=${BENCH_Z19:-1}
FASHION=data/fashion

for t in nn-import nn-info nn-cat nn-slice; do
    [ -x "$NN_BIN/$t" ] || { echo "stream.sh: $NN_BIN/$t missing; run make first" >&2; exit 1; }
done
for c in hyperfine gzip awk; do
    command -v $c >/dev/null 2>&1 || { echo "stream.sh: $c not found (sh pipelines/deps.sh bench)" >&2; exit 1; }
done
[ -x /usr/bin/time ] || { echo "stream.sh: /usr/bin/time not found" >&2; exit 1; }
[ -f $MNIST/train-images-idx3-ubyte ] ||
    { echo "stream.sh: no MNIST in $MNIST (make data)" >&2; exit 1; }

header "Stream benchmarks"

# ------------------------------------------------- 1. reading the stream
F='$T/train.f32.nns'
make_f32="nn-import --scale 1/255 $MNIST/train-images-idx3-ubyte $MNIST/train-labels-idx1-ubyte > $F"
say "making the stream: $make_f32"
sh -c "$make_f32"
fbytes=$(size "$T/train.f32.nns")
frecords=$(nn-info -H "$T/train.f32.nns" | awk '/^#/ { print $(NF-5) }')

# name  baseline  command
cat >"$T/read.list" <<EOF
cat_file      cat_file  cat $F > /dev/null
info_file     cat_file  nn-info -q $F
info_H_file   cat_file  nn-info -H -q $F
cat_tool_file cat_file  nn-cat $F > /dev/null
slice_file    cat_file  nn-slice : $F > /dev/null
cat_pipe      cat_pipe  cat $F | cat > /dev/null
info_pipe     cat_pipe  cat $F | nn-info -q
info_H_pipe   cat_pipe  cat $F | nn-info -H -q
cat_tool_pipe cat_pipe  cat $F | nn-cat > /dev/null
slice_pipe    cat_pipe  cat $F | nn-slice : > /dev/null
EOF
while read -r name base cmd; do
    bench "$name" "$cmd"
done <"$T/read.list"

md "## 1. Reading a 60000x784 f32 stream"
md ""
md "The stream: \`$make_f32\`, $fbytes bytes, $frecords records (\`x\` f32" \
   "(60000,784) and \`y\` u8 (60000) in interleaved chunks of about 1 MiB)." \
   "Each time is compared with the \`cat\` baseline that reads the same way" \
   "(from the file, or from a pipe); the target is at most 2× that." \
   "MB/s and the ratio use the median time."
md ""
md "| command | runs | mean ± σ (ms) | median (ms) | MB/s | × cat | ≤ 2× cat |"
md "|---|--:|--:|--:|--:|--:|:-:|"
while read -r name base cmd; do
    med=$(field "$name" 6) bmed=$(field "$base" 6)
    cellv=$(cell "$cmd") awk -v n="$(field "$name" 2)" -v t="$(ms "$name")" \
        -v m="$med" -v b="$bmed" -v by="$fbytes" 'BEGIN {
        r = m / b
        printf "| %s | %d | %s | %.1f | %.0f | %.2f | %s |\n", ENVIRON["cellv"], n, t,
               m * 1000, by / 1e6 / m, r, r <= 2 ? "yes" : "**no**" }' >>"$R"
done <"$T/read.list"
md ""

# ------------------------------------------------------ 2. peak memory
P1="cat $F"
P10=$(ten "$F")
PJ="nn-cat$(for i in 1 2 3 4 5 6 7 8 9 10; do printf ' %s' "$F"; done)"
say "checking that the joined stream is one tensor x (600000,784)"
sh -c "$PJ" | nn-info -H -j | grep -q '"name":"x","dtype":"f32","shape":\[600000,784\]' ||
    { echo "stream.sh: $PJ did not give one tensor x (600000,784)" >&2; exit 1; }

md "## 2. Peak memory"
md ""
md "Maximum resident set size of the tool alone (\`/usr/bin/time -v\` wraps" \
   "only the last command of the pipe), in MiB. Inputs:"
md ""
md "- file: the tool reads \`$F\` ($fbytes bytes) itself;"
md "- 1× pipe: \`$P1 | ...\`;"
md "- 10× cat: \`$P10 | ...\` (10 tensors of each name, $((fbytes * 10)) bytes);"
md "- 10× joined: \`$PJ | ...\` (one tensor \`x\` (600000,784), checked)."
md ""
md "The target is the same peak for the 10× streams as for the 1× stream;" \
   "\"bounded\" says the largest 10× peak is within 1 MiB of the 1× pipe peak."
md ""
md "| tool | file | 1× pipe | 10× cat | 10× joined | bounded |"
md "|---|--:|--:|--:|--:|:-:|"
for tool in "cat" "nn-info -q" "nn-info -H -q" "nn-cat" "nn-slice :"; do
    say "memory: $tool"
    mf=$(rss "" "$tool $F")
    m1=$(rss "$P1" "$tool")
    m10=$(rss "$P10" "$tool")
    mj=$(rss "$PJ" "$tool")
    cellv=$(cell "$tool") awk -v f="$mf" -v a="$m1" -v b="$m10" -v c="$mj" 'BEGIN {
        m = b > c ? b : c
        printf "| %s | %.1f | %.1f | %.1f | %.1f | %s |\n", ENVIRON["cellv"], f, a, b, c,
               m - a <= 1 ? "yes" : "**no**" }' >>"$R"
done
say "memory: the producer $PJ"
mp=$(rss "" "$PJ")
md ""
md "The producer of the joined stream, \`$PJ > /dev/null\`, reading 10 files" \
   "of $fbytes bytes: $mp MiB."
md ""

# ---------------------------------------------------------- 3. import
IMG=$MNIST/train-images-idx3-ubyte LAB=$MNIST/train-labels-idx1-ubyte
idx=$(($(size $IMG) + $(size $LAB)))
# zsize FILE...: bytes of the files through zstd -3, or 0 without zstd.
zsize() {
    if command -v zstd >/dev/null 2>&1; then cat "$@" | zstd -3 -q -c | wc -c | tr -d ' '
    else echo 0; fi
}
zref=$(zsize $IMG $LAB)
: >"$T/import.list"
add_import() { # name set command
    printf '%s %s %s\n' "$1" "$2" "$3" >>"$T/import.list"
}
add_import mnist_u8 mnist "nn-import $IMG $LAB > \$T/mnist.nns"
add_import mnist_z3 mnist "nn-import -z $IMG $LAB > \$T/mnist.z3.nns"
[ "$Z19" = 0 ] || add_import mnist_z19 mnist "nn-import -z19 $IMG $LAB > \$T/mnist.z19.nns"
add_import mnist_f32 mnist "nn-import --scale 1/255 $IMG $LAB > \$T/mnist.f32.nns"
add_import mnist_f32z mnist "nn-import --scale 1/255 -z $IMG $LAB > \$T/mnist.f32.z3.nns"
have_fashion=0
if [ -f $FASHION/train-images-idx3-ubyte.gz ] && [ -f $FASHION/train-labels-idx1-ubyte.gz ]; then
    have_fashion=1
    FIMG=$FASHION/train-images-idx3-ubyte.gz FLAB=$FASHION/train-labels-idx1-ubyte.gz
    fgz=$(($(size $FIMG) + $(size $FLAB)))
    fidx=$(($(gzip -dc $FIMG | wc -c) + $(gzip -dc $FLAB | wc -c)))
    gzip -dc $FIMG $FLAB >"$T/fashion.idx"
    fzref=$(zsize "$T/fashion.idx")
    rm -f "$T/fashion.idx"
    add_import fashion_u8 fashion "nn-import $FIMG $FLAB > \$T/fashion.nns"
    add_import fashion_z3 fashion "nn-import -z $FIMG $FLAB > \$T/fashion.z3.nns"
else
    say "no Fashion-MNIST in $FASHION (make -f pipelines/data.mk fashion): skipped"
fi
while read -r name set cmd; do
    case $name in
    *_z19) bench "$name" "$cmd" --runs 1 --warmup 0 ;;
    *) bench "$name" "$cmd" ;;
    esac
    out=$(printf '%s\n' "$cmd" | awk '{ print $NF }' | sed "s|^\\\$T|$T|")
    nn-info -q "$out" </dev/null || { echo "stream.sh: $cmd wrote an invalid stream" >&2; exit 1; }
    echo "$name $(size "$out")" >>"$T/sizes"
done <"$T/import.list"

md "## 3. Import"
md ""
md "MNIST training images and labels, \`$IMG\` and \`$LAB\`: $idx bytes of IDX" \
   "(\`cat\` of both through \`zstd -3\`: $zref bytes)."
if [ $have_fashion = 1 ]; then
    md "Fashion-MNIST training images and labels, \`$FIMG\` and \`$FLAB\`:" \
       "$fgz bytes of gzip, $fidx bytes of IDX once decompressed" \
       "(through \`zstd -3\`: $fzref bytes)."
fi
md "Each output was checked with \`nn-info -q\`. The output size is given" \
   "over the size of the IDX data (\"/ IDX\"), of the input files as given" \
   "(\"/ input\": IDX for MNIST, gzip for Fashion-MNIST) and of the IDX data" \
   "through \`zstd -3\` (\"/ zstd -3\")."
md ""
md "| command | runs | mean ± σ (ms) | output bytes | / IDX | / input | / zstd -3 |"
md "|---|--:|--:|--:|--:|--:|--:|"
while read -r name set cmd; do
    case $set in
    mnist) ref=$idx in=$idx zr=$zref ;;
    *) ref=$fidx in=$fgz zr=$fzref ;;
    esac
    cellv=$(cell "$cmd") awk -v n="$(field "$name" 2)" -v t="$(ms "$name")" \
        -v s="$(awk -v n="$name" '$1 == n { print $2 }' "$T/sizes")" \
        -v r="$ref" -v i="$in" -v z="$zr" 'BEGIN {
        printf "| %s | %d | %s | %d | %.4f | %.4f | %s |\n", ENVIRON["cellv"], n, t, s,
               s / r, s / i, (z > 0 ? sprintf("%.3f", s / z) : "–") }' >>"$R"
done <"$T/import.list"
md ""

footer
